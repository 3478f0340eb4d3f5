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

    /// Declares the durable exchange for `topic`; with stream queues, the topic's stream bound to it;
    /// with group queues, for a dead-letter topic, the queue of its `kept` group.
    func declare(_ topic: String, queueType: RabbitMQBackend.QueueType, on session: AMQPSession) throws(AMQPFailure) {
        try session.declareExchange(topic, type: Topology.exchangeType, passive: false, on: Self.channel)
        if queueType == .stream {
            try Topology.declareStream(of: topic, on: session, channel: Self.channel)
        } else if Topology.isDeadLetterTopic(topic) {
            try Topology.declareKeptDeadLetters(of: topic, queueType: queueType, on: session, channel: Self.channel)
        }
    }

    func stop(_ session: AMQPSession?) {}
}
