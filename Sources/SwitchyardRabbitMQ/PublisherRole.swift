import DequeModule
import Switchyard

/// The publishing side of a producer's connection, confined to its owner thread.
///
/// Channel 1 is in confirm mode and carries the publishes; at most `window` of them await their
/// confirm at once, and the rest wait in submission order. Channel 2 checks that a topic's exchange
/// exists before the first publish to it, because publishing to a missing exchange would close the
/// confirm channel and lose the confirms of everything in flight.
///
/// After a reconnect the confirm channel starts again at delivery tag 1, and every publish whose
/// confirm was lost is published again ahead of newer ones, so a send is retried, never dropped;
/// the retry may duplicate a message, which consumers deduplicate by id.
final class PublisherRole: ConnectionRole {
    private static let publishChannel: UInt16 = 1
    private static let checkChannel: UInt16 = 2

    private let window: Int
    /// Whether repeated headers are packed (stream queues drop field arrays); see ``WireFormat``.
    private let packRepeatedHeaders: Bool
    private var waiting = Deque<PendingPublish>()
    private var unconfirmed = Deque<(tag: UInt64, publish: PendingPublish)>()
    private var nextTag: UInt64 = 1
    private var nextSequence: UInt64 = 1
    private var knownExchanges = Set<String>()
    private var flushWaiters: [(upTo: UInt64, done: @Sendable () -> Void)] = []

    init(window: Int, packRepeatedHeaders: Bool) {
        self.window = max(1, window)
        self.packRepeatedHeaders = packRepeatedHeaders
    }

    /// Queues sends in order.
    func enqueue(_ publishes: [PendingPublish]) {
        for var publish in publishes {
            publish.sequence = nextSequence
            nextSequence += 1
            waiting.append(publish)
        }
    }

    /// Calls `done` once every send queued so far has its outcome.
    func whenFlushed(_ done: @escaping @Sendable () -> Void) {
        flushWaiters.append((nextSequence - 1, done))
        resolveFlushes()
    }

    func attach(_ session: AMQPSession) throws(AMQPFailure) {
        try session.openChannel(Self.publishChannel)
        try session.selectConfirms(on: Self.publishChannel)
        try session.openChannel(Self.checkChannel)
        nextTag = 1
        knownExchanges = []
    }

    func detach(because failure: AMQPFailure) {
        let lost = unconfirmed.map { entry -> PendingPublish in
            var publish = entry.publish
            publish.returned = nil
            return publish
        }
        unconfirmed.removeAll()
        waiting.insert(contentsOf: lost, at: waiting.startIndex)
    }

    func handle(_ event: AMQPEvent, on session: AMQPSession) throws(AMQPFailure) {
        switch event {
        case .confirmed(let tag, let multiple):
            settle(upTo: tag, multiple: multiple) { tag, publish in
                if let reason = publish.returned {
                    return .failure(SwitchyardError(
                        .unroutable,
                        "Message \(publish.message.id) reached topic '\(publish.topic)' but no queue took it (\(reason)). Create a consumer group on the topic before sending, so that a queue is bound to it."
                    ))
                }
                return .success(DeliveryPosition(deliveryTag: tag))
            }
        case .rejected(let tag, let multiple):
            settle(upTo: tag, multiple: multiple) { _, publish in
                .failure(SwitchyardError(
                    .rejectedByBroker,
                    "RabbitMQ refused responsibility for message \(publish.message.id) on topic '\(publish.topic)' (basic.nack). Resend it.",
                    isRetriable: true
                ))
            }
        case .returned(let code, let text, let properties):
            if let index = unconfirmed.firstIndex(where: { $0.publish.returned == nil && $0.publish.message.id == properties.messageID }) {
                unconfirmed[index].publish.returned = "\(code) \(text)"
            }
        case .channelClosed(let channel, let code, let text):
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ closed publishing channel \(channel) (\(code) \(text)). Switchyard reconnects and resends what was unconfirmed."),
                breaksSession: true,
                replyCode: code
            )
        case .delivered, .consumerCancelled:
            break
        }
    }

    func pump(_ session: AMQPSession) throws(AMQPFailure) {
        while unconfirmed.count < window, let next = waiting.first {
            if !knownExchanges.contains(next.topic) {
                do {
                    try session.declareExchange(next.topic, type: Topology.exchangeType, passive: true, on: Self.checkChannel)
                    knownExchanges.insert(next.topic)
                } catch where !error.breaksSession {
                    waiting.removeFirst()
                    let reason = error.replyCode == AMQPFailure.notFound
                        ? SwitchyardError(.topicNotFound, "Topic '\(next.topic)' does not exist on RabbitMQ, so message \(next.message.id) was not sent. Create it with ensureTopic first.")
                        : error.error
                    next.complete(.failure(reason))
                    resolveFlushes()
                    continue
                }
            }
            let (routingKey, properties) = WireFormat.encode(next.message, packRepeated: packRepeatedHeaders)
            try session.publish(to: next.topic, routingKey: routingKey, properties: properties, body: next.message.payload, on: Self.publishChannel)
            waiting.removeFirst()
            unconfirmed.append((nextTag, next))
            nextTag += 1
        }
    }

    func expire(now: ContinuousClock.Instant) {
        var expired = false
        while let first = waiting.first, first.deadline <= now {
            waiting.removeFirst()
            first.complete(.failure(Self.timedOut(first)))
            expired = true
        }
        while let first = unconfirmed.first, first.publish.deadline <= now {
            unconfirmed.removeFirst()
            first.publish.complete(.failure(Self.timedOut(first.publish)))
            expired = true
        }
        if expired { resolveFlushes() }
    }

    var nextDeadline: ContinuousClock.Instant? {
        [waiting.first?.deadline, unconfirmed.first?.publish.deadline].compactMap { $0 }.min()
    }

    func stop(_ session: AMQPSession?) {
        let closed = SwitchyardError(.producerClosed, "The producer closed before RabbitMQ confirmed this message; it may or may not have been stored. Resend it with a new producer.")
        for entry in unconfirmed { entry.publish.complete(.failure(closed)) }
        for publish in waiting { publish.complete(.failure(closed)) }
        unconfirmed.removeAll()
        waiting.removeAll()
        resolveFlushes()
    }

    private static func timedOut(_ publish: PendingPublish) -> SwitchyardError {
        SwitchyardError(
            .timeout,
            "RabbitMQ did not confirm message \(publish.message.id) on topic '\(publish.topic)' within the send timeout; it may or may not have been stored. Resend it (consumers deduplicate by id), or raise the send timeout."
        )
    }

    /// Completes the unconfirmed publishes that a confirm for `tag` covers.
    private func settle(upTo tag: UInt64, multiple: Bool, outcome: (UInt64, PendingPublish) -> Result<DeliveryPosition, SwitchyardError>) {
        if multiple {
            while let first = unconfirmed.first, first.tag <= tag {
                unconfirmed.removeFirst()
                first.publish.complete(outcome(first.tag, first.publish))
            }
        } else if let index = unconfirmed.firstIndex(where: { $0.tag == tag }) {
            let entry = unconfirmed.remove(at: index)
            entry.publish.complete(outcome(entry.tag, entry.publish))
        }
        resolveFlushes()
    }

    private func resolveFlushes() {
        guard !flushWaiters.isEmpty else { return }
        let oldest = [waiting.first?.sequence, unconfirmed.first?.publish.sequence].compactMap { $0 }.min() ?? .max
        flushWaiters.removeAll { waiter in
            guard waiter.upTo < oldest else { return false }
            waiter.done()
            return true
        }
    }
}
