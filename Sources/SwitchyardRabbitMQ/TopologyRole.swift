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

    /// Deletes what ``declare(_:queueType:on:)`` and consumers of `groups` created for `topic` and
    /// for its dead-letter topic: the group queues (and the `kept` one), the stream, and the exchanges.
    func remove(_ topic: String, groups: [String], on session: AMQPSession) throws(AMQPFailure) {
        for name in [topic, TopicName.deadLetter(of: topic)] {
            for group in groups + [Topology.keptDeadLettersGroup] {
                let queue: String
                do {
                    queue = try Topology.queueName(topic: name, group: group)
                } catch {
                    continue
                }
                try session.deleteQueue(queue, on: Self.channel)
            }
            try session.deleteQueue(Topology.streamQueue(of: name), on: Self.channel)
            try session.deleteExchange(name, on: Self.channel)
        }
    }

    func stop(_ session: AMQPSession?) {}
}
