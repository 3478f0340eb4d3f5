import Switchyard

/// How topics and groups map onto RabbitMQ objects (DESIGN.md §3).
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
    static func queueName(topic: String, group: String) throws(SwitchyardError) -> String {
        let name = "\(topic).\(group)"
        guard name.utf8.count <= maxNameBytes else {
            throw SwitchyardError(
                .invalidTopicName,
                "The queue name '\(name.prefix(40))…' for topic '\(topic)' and group '\(group)' has \(name.utf8.count) bytes; RabbitMQ allows \(maxNameBytes). Shorten the topic or group name."
            )
        }
        return name
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
