import Logging
import Switchyard

/// The shadow comparison of one dual-write phase: a consumer on each broker, reading the topic directly
/// (never through the dual-write backend), feeding the phase's messages to the sides comparison in the
/// ``RehearsalBook``.
///
/// Each reads with a consumer group of the phase's own rather than a private one: a private RabbitMQ
/// queue is exclusive to its connection and loses what is published while the connection is down,
/// which would show as missing messages that no broker lost.
final class RehearsalSideReader: Sendable {
    private struct Reader: Sendable {
        let backend: any MessagingBackend
        let consumer: Consumer
        let task: Task<Void, Never>
    }

    private let readers: [Reader]

    /// Starts both readers, in consumer group `group`, before the phase's writer sends anything: a
    /// broker that can replay starts at `from`, another one where the group is created (its queue exists
    /// once this returns).
    static func start(
        _ phase: RehearsalPhase,
        brokers: RehearsalBrokers,
        topic: String,
        group: String,
        from: Int64,
        book: RehearsalBook,
        logger: Logger
    ) async throws(SwitchyardError) -> RehearsalSideReader {
        guard case .dual(let primary, let secondary) = phase.writes else {
            throw SwitchyardError(.invalidConfiguration, "Phase \(phase.rawValue) writes to one broker; there are no sides to compare.")
        }
        var readers: [Reader] = []
        do throws(SwitchyardError) {
            for (side, broker) in [(ComparisonSide.primary, primary), (.secondary, secondary)] {
                let backend = try await brokers.make(broker)
                do {
                    let capabilities = backend.capabilities
                    let options = ConsumerOptions(
                        group: group,
                        startPosition: capabilities.contains(.replay) ? .timestamp(microseconds: from) : .committed,
                        prefetch: 1000,
                        ordering: capabilities.contains(.orderedPerKey) ? .perKey : .none
                    )
                    let consumer = try await backend.makeConsumer(topic: topic, options: options, logger: logger)
                    let task = Task { await read(consumer, side: side, phase: phase.rawValue, book: book, logger: logger) }
                    readers.append(Reader(backend: backend, consumer: consumer, task: task))
                } catch {
                    try? await backend.shutdown()
                    throw error
                }
            }
        } catch {
            await RehearsalSideReader(readers: readers).closeQuietly()
            throw error
        }
        return RehearsalSideReader(readers: readers)
    }

    private init(readers: [Reader]) {
        self.readers = readers
    }

    /// Closes both consumers and their clients.
    func close() async throws(SwitchyardError) {
        var firstError: SwitchyardError?
        for reader in readers {
            do { try await reader.consumer.close() } catch { firstError = firstError ?? error }
            await reader.task.value
            do { try await reader.backend.shutdown() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    /// Closes after another failure, which is the one reported.
    private func closeQuietly() async {
        try? await close()
    }

    private static func read(_ consumer: Consumer, side: ComparisonSide, phase: Int, book: RehearsalBook, logger: Logger) async {
        do {
            try await AckingBatchReader(consumer: consumer, label: side.rawValue, batchSize: 1000, logger: logger).run { messages in
                for message in messages {
                    book.recordSide(message, side: side, phase: phase)
                }
            }
        } catch {
            logger.warning("A comparison reader stopped: it could not receive", metadata: ["side": "\(side.rawValue)", "error": "\(error)"])
        }
    }
}
