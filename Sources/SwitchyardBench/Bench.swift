import Logging
import Switchyard
import SwitchyardMigration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A whole bench on one backend: `runs` runs of every subject that applies, and the report of their
/// medians.
///
/// The subjects: the backend itself or, for a dual-write backend, the dual-write backend and each of its
/// sides alone; on the in-memory backend also the same work through a plain `AsyncStream`; and, when
/// given, the raw librdkafka baseline on the same Kafka cluster.
package struct Bench: Sendable {
    /// The raw librdkafka program to run in each run, and the Kafka cluster it runs on.
    package struct RdKafkaBaseline: Sendable {
        package var executable: String
        package var bootstrapServers: String

        package init(executable: String, bootstrapServers: String) {
            self.executable = executable
            self.bootstrapServers = bootstrapServers
        }
    }

    package let backend: any MessagingBackend
    package let settings: BenchSettings
    package let runs: Int
    package let rdkafkaBaseline: RdKafkaBaseline?
    package let logger: Logger

    package init(backend: any MessagingBackend, settings: BenchSettings, runs: Int, rdkafkaBaseline: RdKafkaBaseline?, logger: Logger) {
        self.backend = backend
        self.settings = settings
        self.runs = runs
        self.rdkafkaBaseline = rdkafkaBaseline
        self.logger = logger
    }

    /// Runs every subject `runs` times, showing `progress`, and returns the report.
    package func run(progress: BenchProgress) async throws -> BenchReport {
        progress.show("preparing \(settings.messages) messages of \(settings.size) bytes")
        let workload = BenchWorkload(count: settings.messages, size: settings.size, batch: settings.batch)
        let runTag = String(MessageID.generate().suffix(12))
        let dual = backend as? DualWriteBackend
        let subject = dual == nil ? BenchSwitchyard(backend: backend, settings: settings, logger: logger, runTag: runTag) : nil
        let dualSubjects = dual.map { BenchDualWriteSubjects(dual: $0, settings: settings, logger: logger, runTag: runTag) }
        let asyncStream = backend.name == "inmemory" ? BenchAsyncStream(settings: settings) : nil
        let rawKafka = rdkafkaBaseline.map {
            BenchRdKafka(executable: $0.executable, bootstrapServers: $0.bootstrapServers, backend: backend, settings: settings, runTag: runTag)
        }
        var switchyardRuns: [BenchRow] = []
        var asyncStreamRuns: [BenchRow] = []
        var rdkafkaRuns: [BenchRdKafkaRow] = []
        var dualSideRuns: (primary: [BenchRow], secondary: [BenchRow]) = ([], [])
        for run in 1...runs {
            if let dualSubjects {
                let rows = try await dualSubjects.measure(workload, run: run, progress: progress)
                switchyardRuns.append(rows.dual)
                dualSideRuns.primary.append(rows.primary)
                dualSideRuns.secondary.append(rows.secondary)
            } else if let subject {
                switchyardRuns.append(try await subject.measure(workload, run: run, progress: progress))
            }
            if let asyncStream {
                asyncStreamRuns.append(try await asyncStream.measure(workload, run: run, progress: progress))
            }
            if let rawKafka {
                rdkafkaRuns.append(try await rawKafka.measure(run: run, progress: progress))
            }
        }
        return BenchReport(
            settings: settings,
            backend: backend.name,
            runs: runs,
            cores: ProcessInfo.processInfo.activeProcessorCount,
            date: Date(),
            switchyardRuns: switchyardRuns,
            asyncStreamRuns: asyncStreamRuns,
            rdkafkaRuns: rdkafkaRuns,
            dualWrite: dual.map {
                BenchDualWrite(
                    primary: $0.primary.name, secondary: $0.secondary.name, readFrom: $0.configuration.readFrom.rawValue,
                    dualRuns: switchyardRuns, primaryRuns: dualSideRuns.primary, secondaryRuns: dualSideRuns.secondary, spooled: $0.stats().spooled
                )
            }
        )
    }
}
