import Logging
import Switchyard

/// The application consuming the traffic during a rehearsal: one consumer group, restarted at
/// every cutover with the next phase's read side, that deduplicates by message id.
///
/// Each restart is a new *leg*: a fresh client of the read side and a consumer of the same group. A
/// leg processes a delivery by recording it in the ``RehearsalBook`` (deduplicated there, as an
/// application keeps processed ids), then acks it.
///
/// Where the read side changes (phase 2 to 3, RabbitMQ to Kafka), the group cannot carry its position
/// over, so the hand-over goes by publish time. The writers switch at a moment `T`, before which every
/// message has the old broker as primary, and from which every message has the new one. The old leg
/// keeps processing only what was published before `T` (later copies it acks without processing: the
/// new leg owns them) until it has processed everything published before `T`; then it closes, and the
/// new leg starts its new group at `T` minus a margin, deduplicating the overlap by id. Nothing acked
/// is lost either side of `T`, and each key's messages stay in order.
final class RehearsalApplication: Sendable {
    private struct Leg: Sendable {
        let backend: any MessagingBackend
        let consumer: Consumer
        let task: Task<Void, Never>
        /// Messages published at or after this time are left to the next leg.
        let handOverAt: LockedValue<Int64?>
    }

    private let book: RehearsalBook
    private let brokers: RehearsalBrokers
    private let topic: String
    private let group: String
    private let logger: Logger
    private let leg = LockedValue<Leg?>(nil)

    init(book: RehearsalBook, brokers: RehearsalBrokers, topic: String, group: String, logger: Logger) {
        self.book = book
        self.brokers = brokers
        self.topic = topic
        self.group = group
        self.logger = logger
    }

    /// Starts a leg on `broker`, after closing the running one. The group resumes at its committed
    /// position; with `from`, on a broker that can replay, it starts at that time instead wherever it
    /// has no committed position (Kafka), or repositions there (in memory), so a partition the group
    /// never committed on does not start at the latest message. Either way nothing is skipped; the
    /// second may deliver again what was processed, which the book deduplicates.
    func restart(on broker: RehearsalPhase.Broker, from: Int64? = nil) async throws(SwitchyardError) {
        try await stop()
        let backend = try await brokers.make(broker)
        let consumer: Consumer
        do {
            let start: StartPosition = if let from, backend.capabilities.contains(.replay) { .timestamp(microseconds: from) } else { .committed }
            let ordering: ConsumerOptions.Ordering = backend.capabilities.contains(.orderedPerKey) ? .perKey : .none
            consumer = try await backend.makeConsumer(
                topic: topic, options: ConsumerOptions(group: group, startPosition: start, prefetch: 500, ordering: ordering), logger: logger
            )
        } catch {
            try? await backend.shutdown()
            throw error
        }
        let handOverAt = LockedValue<Int64?>(nil)
        let task = Task { [book, logger] in
            await Self.process(consumer, book: book, handOverAt: handOverAt, logger: logger)
        }
        leg.withLock { $0 = Leg(backend: backend, consumer: consumer, task: task, handOverAt: handOverAt) }
    }

    /// Waits until the running leg has processed every message published before `time`: the first step
    /// of handing the group over to another broker (see the type's description), after which a leg on
    /// the new broker starts at `time` minus a margin. Throws ``SwitchyardError/Code/timeout`` when that
    /// takes longer than `timeout`.
    func drain(publishedBefore time: Int64, timeout: Duration) async throws(SwitchyardError) {
        let deadline = ContinuousClock.now + timeout
        while !book.hasProcessedEverything(publishedBefore: time) {
            if ContinuousClock.now >= deadline {
                throw SwitchyardError(
                    .timeout,
                    "The consumer did not process every message published before the cutover within \(timeout); the old broker's queue is not drained. Check the consumer, then run the rehearsal again.",
                    isRetriable: false
                )
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Makes the running leg leave every message published at or after `time` to the next leg.
    func leave(publishedFrom time: Int64) {
        leg.withLock { $0?.handOverAt.withLock { $0 = time } }
    }

    /// Closes the running leg: its unacked deliveries go back to the group.
    func stop() async throws(SwitchyardError) {
        guard let running = leg.withLock({ current -> Leg? in defer { current = nil }; return current }) else { return }
        do {
            try await running.consumer.close()
        } catch {
            await running.task.value
            try? await running.backend.shutdown()
            throw error
        }
        await running.task.value
        try await running.backend.shutdown()
    }

    private static func process(_ consumer: Consumer, book: RehearsalBook, handOverAt: LockedValue<Int64?>, logger: Logger) async {
        do {
            try await AckingBatchReader(consumer: consumer, label: "application", batchSize: 500, logger: logger).run { messages in
                let limit = handOverAt.withLock { $0 }
                for message in messages {
                    // A message published after the writers switched is the next leg's to process.
                    let leftToNextLeg = limit.map { (message.publishedAt ?? .min) >= $0 } ?? false
                    if !leftToNextLeg {
                        book.recordProcessed(message)
                    }
                }
            }
        } catch {
            logger.warning("The rehearsal's consumer stopped: it could not receive", metadata: ["error": "\(error)"])
        }
    }
}
