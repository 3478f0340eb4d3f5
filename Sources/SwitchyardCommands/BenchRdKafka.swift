import Dispatch
import Foundation
import Switchyard

/// The Kafka baseline: a raw librdkafka program (Benchmarks/rdkafka-baseline.c) run as a child process
/// on the cluster the bench uses, producing and then consuming the same number of messages of the same
/// size on a fresh topic with the bench's partition count. Its records carry the two headers Switchyard
/// adds (message-id, published-at), so both write the same records.
struct BenchRdKafka: Sendable {
    let executable: String
    let bootstrapServers: String
    let backend: any MessagingBackend
    let settings: BenchSettings
    /// Makes topic names unique to this invocation.
    let runTag: String

    func measure(run: Int, progress: BenchProgress) async throws -> BenchRdKafkaRow {
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.continuation.yield(finished.terminationStatus)
            exited.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            throw SwitchyardError(.invalidConfiguration, "The librdkafka baseline '\(executable)' could not start: \(error). Build it as Benchmarks/kafka.sh does.")
        }
        return try await withTaskCancellationHandler {
            // The read blocks until the program ends, so it runs off Swift's cooperative pool.
            let output = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: stdout.fileHandleForReading.readDataToEndOfFile()) }
            }
            var status: Int32 = -1
            for await code in exited.stream { status = code }
            guard status == 0 else {
                throw SwitchyardError(.internalError, "The librdkafka baseline exited with status \(status); its error is above.")
            }
            return output
        } onCancel: {
            process.terminate()
        }
    }
}
