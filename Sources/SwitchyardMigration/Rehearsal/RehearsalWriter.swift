import Logging
import Switchyard

/// The producer of one phase, built as a writer restarted with that phase's configuration would
/// be: a client of one broker, or a dual-write backend with a spool directory of its own.
final class RehearsalWriter: Sendable {
    let phase: RehearsalPhase
    let producer: Producer
    private let backend: any MessagingBackend
    private let dual: DualWriteBackend?
    private let sampler: Task<Void, Never>?

    /// How the rehearsal's dual writers differ from the defaults: a phase lasts seconds, not days, so a
    /// failed copy is spooled after 1 s instead of 5 s and replay retries at most 1 s apart instead of 30 s.
    static func dualConfiguration(spool: String) -> DualWriteBackend.Configuration {
        DualWriteBackend.Configuration(
            spoolDirectory: spool,
            readFrom: .primary,
            secondarySendTimeout: .seconds(1),
            replayBackoff: .milliseconds(50)...(.seconds(1))
        )
    }

    /// Builds the writer of `phase` and creates the topic on the brokers it writes to. A dual writer
    /// spools to `spoolRoot/phase-N` and its spool depth is sampled into `book`.
    static func make(
        _ phase: RehearsalPhase,
        brokers: RehearsalBrokers,
        topic: TopicSpec,
        spoolRoot: String,
        book: RehearsalBook,
        logger: Logger
    ) async throws(SwitchyardError) -> RehearsalWriter {
        let backend: any MessagingBackend
        var dual: DualWriteBackend?
        switch phase.writes {
        case .single(let broker):
            backend = try await brokers.make(broker)
        case .dual(let primary, let secondary):
            let made = try await DualWriteBackend(
                primary: try await brokers.make(primary),
                secondary: try await brokers.make(secondary),
                configuration: dualConfiguration(spool: "\(spoolRoot)/phase-\(phase.rawValue)"),
                logger: logger
            )
            dual = made
            backend = made
        }
        do {
            try await backend.ensureTopic(topic)
            let producer = try await backend.makeProducer(logger: logger)
            return RehearsalWriter(phase: phase, backend: backend, dual: dual, producer: producer, book: book)
        } catch {
            try? await backend.shutdown()
            throw error
        }
    }

    private init(phase: RehearsalPhase, backend: any MessagingBackend, dual: DualWriteBackend?, producer: Producer, book: RehearsalBook) {
        self.phase = phase
        self.backend = backend
        self.dual = dual
        self.producer = producer
        self.sampler = dual.map { dual in
            Task {
                while !Task.isCancelled {
                    book.recordSpoolDepth(dual.stats().spoolDepth, phase: phase.rawValue)
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    /// The dual writer's figures now, for the sides comparison; `nil` for a single-broker writer.
    var dualWriteFigures: DualWriteFigures? {
        dual.map { dual in
            let stats = dual.stats()
            return DualWriteFigures(
                secondaryWriteFailures: stats.secondaryFailures,
                spooled: stats.spooled,
                replayed: stats.replayed,
                spoolBacklog: stats.spoolDepth
            )
        }
    }

    /// Waits until the dual writer's spool is empty or `timeout` passes; returns whether it is empty.
    func waitForEmptySpool(timeout: Duration) async -> Bool {
        guard let dual else { return true }
        let deadline = ContinuousClock.now + timeout
        while dual.stats().spoolDepth > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Closes the producer (its sends in flight finish) and shuts the backend down; a dual writer
    /// replays its spool for up to 5 s more, and what is left stays in its spool directory.
    func close() async throws(SwitchyardError) {
        sampler?.cancel()
        await sampler?.value
        do {
            try await producer.close()
        } catch {
            try? await backend.shutdown()
            throw error
        }
        try await backend.shutdown()
    }
}
