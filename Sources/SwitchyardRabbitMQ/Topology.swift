import Switchyard

/// How topics and groups map onto RabbitMQ objects (see <doc:RabbitMQTopology>).
///
/// A topic is a durable `topic` exchange of the same name, and its messages' routing key is their
/// key. A group is a durable queue `<topic>.<group>` bound with `#`, which matches every routing
/// key, so every group receives every message. A `topic` exchange rather than `direct` keeps the
/// key as the routing key while still letting one binding take all keys, and leaves room for groups
/// that bind to key patterns later.
enum Topology {
    static let exchangeType = "topic"
    static let everyKey = "#"
    /// RabbitMQ's limit on queue and exchange names.
    static let maxNameBytes = 255

    /// The queue of `group` on `topic`.
    ///
    /// A group name may not contain `.`: otherwise two pairs could share one queue (topic `a.b` with
    /// group `c`, and topic `a` with group `b.c`, both `a.b.c`), and that queue, bound to both
    /// exchanges, would mix the two topics' messages. Without dots in group names, the group is what
    /// follows the last `.` and every queue name has one topic and one group.
    static func queueName(topic: String, group: String) throws(SwitchyardError) -> String {
        if group.utf8.contains(UInt8(ascii: ".")) {
            throw SwitchyardError(
                .invalidTopicName,
                "The group name '\(group)' contains '.', which RabbitMQ group queues cannot take: the queue '\(topic).\(group)' could also belong to another topic and group (for example topic 'a.b' with group 'c' and topic 'a' with group 'b.c' share queue 'a.b.c'). Use '-' or '_' instead of '.' in group names."
            )
        }
        let name = "\(topic).\(group)"
        guard name.utf8.count <= maxNameBytes else {
            throw SwitchyardError(
                .invalidTopicName,
                "The queue name '\(name.prefix(40))…' for topic '\(topic)' and group '\(group)' has \(name.utf8.count) bytes; RabbitMQ allows \(maxNameBytes). Shorten the topic or group name."
            )
        }
        return name
    }

    /// The name of a topic's stream queue (``RabbitMQBackend/QueueType/stream``): the topic's name,
    /// in the queue namespace, which is separate from the exchanges'.
    static func streamQueue(of topic: String) -> String {
        topic
    }

    /// Declares the durable stream queue of `topic` and binds it to the topic's exchange with `#`.
    static func declareStream(of topic: String, on session: AMQPSession, channel: UInt16) throws(AMQPFailure) {
        let queue = try session.declareQueue(
            streamQueue(of: topic), durable: true, exclusive: false, autoDelete: false,
            arguments: queueArguments(.stream, singleActiveConsumer: false), on: channel
        )
        try session.bindQueue(queue, to: topic, bindingKey: everyKey, on: channel)
    }

    /// The group that keeps a dead-letter topic's messages when no other group is bound to it.
    static let keptDeadLettersGroup = "kept"

    /// Whether `topic` is a dead-letter topic, `<topic>.dlq`.
    static func isDeadLetterTopic(_ topic: String) -> Bool {
        topic.hasSuffix(TopicName.deadLetter(of: ""))
    }

    /// Declares the durable queue of the ``keptDeadLettersGroup`` group on the dead-letter topic
    /// `topic` and binds it, so a dead letter is stored even before any consumer group exists there.
    static func declareKeptDeadLetters(of topic: String, queueType: RabbitMQBackend.QueueType, on session: AMQPSession, channel: UInt16) throws(AMQPFailure) {
        let name: String
        do {
            name = try queueName(topic: topic, group: keptDeadLettersGroup)
        } catch {
            throw AMQPFailure(error, breaksSession: false)
        }
        let queue = try session.declareQueue(
            name, durable: true, exclusive: false, autoDelete: false,
            arguments: queueArguments(queueType, singleActiveConsumer: false), on: channel
        )
        try session.bindQueue(queue, to: topic, bindingKey: everyKey, on: channel)
    }

    /// The arguments a group queue is declared with.
    static func queueArguments(_ type: RabbitMQBackend.QueueType, singleActiveConsumer: Bool) -> [WireHeader] {
        var arguments = [WireHeader(name: "x-queue-type", value: .bytes(Array(type.rawValue.utf8)))]
        if singleActiveConsumer {
            arguments.append(WireHeader(name: "x-single-active-consumer", value: .boolean(true)))
        }
        return arguments
    }
}
