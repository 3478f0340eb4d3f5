import Logging
import Switchyard
import SwitchyardMigration

/// The three subjects of `bench --backend dual`: the dual-write backend and each of its sides alone,
/// every one on topics of its own, measured one after another in each run.
package struct BenchDualWriteSubjects: Sendable {
    package let subjects: [BenchSwitchyard]

    package init(dual: DualWriteBackend, settings: BenchSettings, logger: Logger, runTag: String) {
        subjects = [
            BenchSwitchyard(backend: dual, settings: settings, logger: logger, runTag: runTag),
            BenchSwitchyard(backend: dual.primary, settings: settings, logger: logger, runTag: runTag + "-primary"),
            BenchSwitchyard(backend: dual.secondary, settings: settings, logger: logger, runTag: runTag + "-secondary"),
        ]
    }

    /// One run of each subject: dual, primary and secondary. The order rotates from run to run, so a
    /// machine that slows down or speeds up during the bench does not favour one of them.
    package func measure(_ workload: BenchWorkload, run: Int, progress: BenchProgress) async throws -> (dual: BenchRow, primary: BenchRow, secondary: BenchRow) {
        var rows: [BenchRow?] = [nil, nil, nil]
        for step in 0..<subjects.count {
            let index = (step + run - 1) % subjects.count
            rows[index] = try await subjects[index].measure(workload, run: run, progress: progress)
        }
        guard let dual = rows[0], let primary = rows[1], let secondary = rows[2] else {
            throw SwitchyardError(.internalError, "A dual-write bench run skipped a subject. Report this as a bug.")
        }
        return (dual, primary, secondary)
    }

    /// Creates the bench group on the side the dual-write consumers do not read, when that side keeps
    /// messages only for existing groups (RabbitMQ's classic and quorum queues): without a queue bound
    /// to the topic, the copies would be unroutable and go to the spool instead.
    package static func bindGroup(on dual: DualWriteBackend, topic: String, prefetch: Int, logger: Logger) async throws {
        let other = dual.configuration.readFrom == .primary ? dual.secondary : dual.primary
        guard !other.capabilities.contains(.replay) else { return }
        let consumer = try await other.makeConsumer(
            topic: topic, options: ConsumerOptions(group: BenchSwitchyard.group(for: topic), startPosition: .committed, prefetch: prefetch), logger: logger
        )
        try await consumer.close()
    }
}
