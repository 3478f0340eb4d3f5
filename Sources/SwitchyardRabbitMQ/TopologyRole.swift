import Switchyard

/// A connection that only declares topics, for ``RabbitMQBackend/ensureTopic(_:)``.
final class TopologyRole: ConnectionRole {
    static let channel: UInt16 = 1

    func attach(_ session: AMQPSession) throws(AMQPFailure) {
        try session.openChannel(Self.channel)
    }

    func detach(because failure: AMQPFailure) {}

    func handle(_ event: AMQPEvent, on session: AMQPSession) throws(AMQPFailure) {
        if case .channelClosed(let channel, let code, let text) = event {
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ closed channel \(channel) (\(code) \(text))."),
                breaksSession: true,
                replyCode: code
            )
        }
    }

    /// Declares the durable exchange for `topic`.
    func declare(_ topic: String, on session: AMQPSession) throws(AMQPFailure) {
        try session.declareExchange(topic, type: Topology.exchangeType, passive: false, on: Self.channel)
    }

    func stop(_ session: AMQPSession?) {}
}
