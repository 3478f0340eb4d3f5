import Foundation
import Switchyard

/// The Kafka baseline: a raw librdkafka program (Benchmarks/rdkafka-baseline.c) run as a child process
/// on the cluster the bench uses, producing and then consuming the same number of messages of the same
/// size on a fresh topic with the bench's partition count. Its records carry the two headers Switchyard
/// adds (message-id, published-at), so both write the same records.
package struct BenchRdKafka: Sendable {
    package let executable: String
    package let bootstrapServers: String
    package let backend: any MessagingBackend
    package let settings: BenchSettings
    /// Makes topic names unique to this invocation.
    package let runTag: String

    package init(executable: String, bootstrapServers: String, backend: any MessagingBackend, settings: BenchSettings, runTag: String) {
        self.executable = executable
        self.bootstrapServers = bootstrapServers
        self.backend = backend
        self.settings = settings
        self.runTag = runTag
    }

    package func measure(run: Int, progress: BenchProgress) async throws -> BenchRdKafkaRow {
        progress.show("[run \(run)] librdkafka (C)")
        let topic = "bench-\(runTag)-r\(run)-rdkafka"
        try await backend.ensureTopic(TopicSpec(name: topic, partitions: settings.partitions))
        let output = try await BenchDeadline.run(seconds: 2 * settings.phaseTimeout, phase: "librdkafka baseline") {
            try await runBaseline(arguments: [bootstrapServers, topic, String(settings.messages), String(settings.size), "1"])
        }
        progress.clear()
        do {
            return try JSONDecoder().decode(BenchRdKafkaRow.self, from: output)
        } catch {
            throw SwitchyardError(
                .internalError,
                "The librdkafka baseline printed '\(String(decoding: output.prefix(200), as: UTF8.self))', not its JSON result. Rebuild it from Benchmarks/rdkafka-baseline.c."
            )
        }
    }

    /// Runs the program and returns its standard output; it fails when the program cannot start or
    /// exits with a non-zero status. Cancelling the task terminates the program.
    private func runBaseline(arguments: [String]) async throws -> Data {
        let outcome: ChildProgram.Outcome
        do {
            outcome = try await ChildProgram.run(executable, arguments)
        } catch {
            throw SwitchyardError(.invalidConfiguration, "The librdkafka baseline '\(executable)' could not start: \(error). Build it as Benchmarks/kafka.sh does.")
        }
        guard outcome.status == 0 else {
            throw SwitchyardError(.internalError, "The librdkafka baseline exited with status \(outcome.status): \(outcome.errorText)")
        }
        return outcome.output
    }
}
