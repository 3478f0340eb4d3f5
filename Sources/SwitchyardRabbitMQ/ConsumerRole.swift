import DequeModule
import Glibc
import Switchyard

/// The consuming side of a consumer's connection, confined to its owner thread.
///
/// On every (re)connect it checks that the topic's exchange exists, declares the group's queue,
/// binds it with `#`, sets the prefetch and starts consuming on channel 1 with manual acks. Each
/// connect starts a new epoch, so settlements meant for a dead channel are refused instead of
/// acknowledging whatever has the same tag on the new one.
///
/// Acks are written when the owner thread has run the queued jobs (``pump(_:)``): the longest run of
/// acked deliveries at the front of the unsettled ones goes out as one `basic.ack` with `multiple`,
/// any other ack on its own. Deliveries read in one go are handed to a waiting receive at once.
///
/// With stream queues it consumes the topic's stream instead, from the start position's
/// `x-stream-offset`. It remembers the offsets of the deliveries not yet settled, and after a
/// reconnect resumes at the lowest of them (or after the last delivery), so nothing handed out but
/// unsettled is skipped and nothing settled is read again.
final class ConsumerRole: ConnectionRole {
    static let channel: UInt16 = 1

    private let topic: String
    private let group: String?
    private let queueType: RabbitMQBackend.QueueType
    private let singleActiveConsumer: Bool
    private let prefetch: UInt16
    private let inbox: DeliveryInbox
    private let closeGrace: Duration
    private let start: StartPosition
    /// Stream only: deliveries before this time (from `publishedAt`) are skipped, until the first
    /// one at or after it arrives; the stream's own time offset only has chunk granularity.
    private var skipBefore: Int64?
    /// Stream only: the stream offsets of unsettled deliveries, by delivery tag.
    private var unsettledOffsets: [UInt64: Int64] = [:]
    /// This epoch's unsettled delivery tags in delivery order, with settled ones removed lazily.
    private var unsettledTags = Deque<UInt64>()
    /// Acks not yet written.
    private var pendingAcks = Set<UInt64>()
    /// Tags acked or requeued on their own, still in ``unsettledTags``.
    private var settledAlone = Set<UInt64>()
    private var lastOffset: Int64?
    private var resumeOffset: Int64?
    private var epoch: UInt64 = 0
    private var attached = false
    private var consumerTag: String?

    init(
        topic: String, group: String?, queueType: RabbitMQBackend.QueueType, singleActiveConsumer: Bool,
        prefetch: Int, start: StartPosition, closeGrace: Duration, inbox: DeliveryInbox
    ) {
        self.closeGrace = closeGrace
        self.start = start
        if queueType == .stream, case .timestamp(let microseconds) = start {
            skipBefore = microseconds
        }
        self.topic = topic
        self.group = group
        self.queueType = queueType
        self.singleActiveConsumer = singleActiveConsumer
        self.prefetch = UInt16(clamping: prefetch)
        self.inbox = inbox
    }

    func attach(_ session: AMQPSession) throws(AMQPFailure) {
        try session.openChannel(Self.channel)
        do {
            try session.declareExchange(topic, type: Topology.exchangeType, passive: true, on: Self.channel)
        } catch where error.replyCode == AMQPFailure.notFound {
            throw AMQPFailure(
                SwitchyardError(.topicNotFound, "Topic '\(topic)' does not exist on RabbitMQ. Create it with ensureTopic before consuming from it."),
                breaksSession: error.breaksSession,
                replyCode: error.replyCode
            )
        }
        let queue: String
        var consumeArguments: [WireHeader] = []
        if queueType == .stream {
            try Topology.declareStream(of: topic, on: session, channel: Self.channel)
            queue = Topology.streamQueue(of: topic)
            consumeArguments = [WireHeader(name: WireFormat.streamOffsetHeader, value: streamOffset)]
        } else {
            if let group {
                queue = try session.declareQueue(
                    try Self.queueName(topic: topic, group: group), durable: true, exclusive: false, autoDelete: false,
                    arguments: Topology.queueArguments(queueType, singleActiveConsumer: singleActiveConsumer), on: Self.channel
                )
            } else {
                queue = try session.declareQueue("", durable: false, exclusive: true, autoDelete: true, arguments: [], on: Self.channel)
            }
            try session.bindQueue(queue, to: topic, bindingKey: Topology.everyKey, on: Self.channel)
        }
        try session.setPrefetch(prefetch, on: Self.channel)
        consumerTag = try session.consume(queue, arguments: consumeArguments, on: Self.channel)
        unsettledOffsets = [:]
        unsettledTags = []
        pendingAcks = []
        settledAlone = []
        epoch += 1
        attached = true
        inbox.begin(epoch: epoch)
    }

    /// Where the stream consumer starts: where the last connection left off, else the start position.
    private var streamOffset: FieldValue {
        if let resumeOffset { return .integer(resumeOffset) }
        switch start {
        case .earliest: return .bytes(Array("first".utf8))
        case .latest, .committed: return .bytes(Array("next".utf8))
        case .timestamp(let microseconds): return .timestamp(seconds: max(0, microseconds) / 1_000_000)
        }
    }

    private static func queueName(topic: String, group: String) throws(AMQPFailure) -> String {
        do {
            return try Topology.queueName(topic: topic, group: group)
        } catch {
            throw AMQPFailure(error, breaksSession: false)
        }
    }

    func detach(because failure: AMQPFailure) {
        if queueType == .stream {
            resumeOffset = unsettledOffsets.values.min() ?? lastOffset.map { $0 + 1 } ?? resumeOffset
        }
        attached = false
        consumerTag = nil
        inbox.invalidate()
    }

    func handle(_ event: AMQPEvent, on session: AMQPSession) throws(AMQPFailure) {
        switch event {
        case .delivered(var delivery):
            var streamOffset: Int64?
            if queueType == .stream {
                streamOffset = WireFormat.takeStreamOffset(from: &delivery)
                if let streamOffset { lastOffset = streamOffset }
            }
            let (message, attempt) = WireFormat.decode(delivery)
            if let skipBefore {
                if let publishedAt = message.publishedAt, publishedAt < skipBefore {
                    unsettledTags.append(delivery.deliveryTag)
                    pendingAcks.insert(delivery.deliveryTag)
                    return
                }
                self.skipBefore = nil
            }
            if let streamOffset { unsettledOffsets[delivery.deliveryTag] = streamOffset }
            unsettledTags.append(delivery.deliveryTag)
            inbox.deliver(ReceivedMessage(
                message: message,
                position: DeliveryPosition(offset: streamOffset, deliveryTag: delivery.deliveryTag, redelivered: delivery.redelivered),
                deliveryAttempt: attempt,
                token: DeliveryToken(partition: 0, sequence: Int64(bitPattern: delivery.deliveryTag), epoch: epoch)
            ))
        case .consumerCancelled:
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ cancelled the consumer of topic '\(topic)', for example because its queue was deleted. Switchyard reconnects and declares it again."),
                breaksSession: true
            )
        case .channelClosed(let channel, let code, let text):
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ closed consuming channel \(channel) (\(code) \(text)). Switchyard reconnects."),
                breaksSession: true,
                replyCode: code
            )
        case .confirmed, .rejected, .returned:
            break
        }
    }

    /// Acknowledges, or with `requeue` returns, the delivery `tag` of `tokenEpoch`, unless that
    /// epoch's channel is gone.
    func settle(_ tag: UInt64, epoch tokenEpoch: UInt64, requeue: Bool, on session: AMQPSession) throws(AMQPFailure) {
        guard attached, tokenEpoch == epoch else {
            throw AMQPFailure(
                SwitchyardError(.alreadySettled, "The connection was re-established since delivery \(tag) arrived; RabbitMQ delivers the message again."),
                breaksSession: false
            )
        }
        if requeue {
            try session.requeue(tag, on: Self.channel)
            settledAlone.insert(tag)
        } else {
            pendingAcks.insert(tag)
        }
        unsettledOffsets[tag] = nil
    }

    /// Writes the pending acks and hands what was delivered to a waiting receive.
    func pump(_ session: AMQPSession) throws(AMQPFailure) {
        try writeAcks(on: session)
        inbox.serve()
    }

    private func writeAcks(on session: AMQPSession) throws(AMQPFailure) {
        guard !pendingAcks.isEmpty, attached else { return }
        var highest: UInt64?
        while let first = unsettledTags.first {
            if pendingAcks.remove(first) != nil {
                highest = first
            } else if settledAlone.remove(first) == nil {
                break
            }
            unsettledTags.removeFirst()
        }
        if let highest {
            try session.ack(highest, multiple: true, on: Self.channel)
        }
        for tag in pendingAcks {
            try session.ack(tag, on: Self.channel)
            settledAlone.insert(tag)
        }
        pendingAcks.removeAll()
    }

    /// Cancels the consumer, then pauses for the close grace before the channel closes.
    ///
    /// RabbitMQ quorum queues can apply a consumer's departure before acks it sent just earlier
    /// (rabbitmq-server issue 10327), which returns acknowledged messages to the queue as
    /// duplicates. Cancelling first and pausing lets those acks land; the pause runs on the owner
    /// thread, never on Swift's cooperative pool.
    func stop(_ session: AMQPSession?) {
        inbox.close()
        guard let session, attached, let consumerTag else { return }
        do {
            try writeAcks(on: session)
            try session.cancel(consumerTag, on: Self.channel)
        } catch {
            return
        }
        var pause = timespec(closeGrace)
        nanosleep(&pause, nil)
    }
}
