import ArgumentParser
import Logging
import Switchyard

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `switchyard bench`: measures produce, consume and end-to-end throughput and latency on the
/// configured backend, and on the in-memory backend the same work through a plain `AsyncStream`.
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and publish-to-consume latency; on inmemory, beside a plain AsyncStream.",
        discussion: """
            Each run measures four phases on fresh topics: produce (sends with no consumer), consume \
            (receives with a per-message ack), pipeline (both at once) and, with --rate, latency at a \
            fixed send rate. The table shows the medians over --runs; on the inmemory backend each run \
            also passes the same messages through an AsyncStream with one producer and one consumer task.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: "Messages per phase.")
    public var messages: Int = 200_000

    @Option(help: "Payload size in bytes.")
    public var size: Int = 100

    @Option(help: "Messages per send; 1 sends them one at a time.")
    public var batch: Int = 1

    @Option(help: "Sends (or batches) awaiting the broker's acknowledgement at once, each from its own task. Default: 1 on inmemory, whose send never waits; 1000 elsewhere, RabbitMQ's confirm window.")
    public var inFlight: Int?

    @Option(help: "The consumer's prefetch: deliveries held unacknowledged at most.")
    public var prefetch: Int = 1000

    @Option(help: "Partitions of each bench topic.")
    public var partitions: Int = 4

    @Option(help: "The send rate of the latency phase, in messages per second; 0 skips it.")
    public var rate: Int = 10_000

    @Option(help: "How long the latency phase sends, in seconds.")
    public var rateSeconds: Double = 2

    @Option(help: "How many times to repeat the measurements; the table shows medians.")
    public var runs: Int = 3

    @Flag(help: "Print one JSON object instead of the table.")
    public var json = false

    public init() {}

    public func validate() throws {
        if messages < 1 { throw ValidationError("--messages must be at least 1.") }
        if size < 0 { throw ValidationError("--size must be 0 or more.") }
        if batch < 1 { throw ValidationError("--batch must be at least 1.") }
        if let inFlight, inFlight < 1 { throw ValidationError("--in-flight must be at least 1.") }
        if prefetch < 1 { throw ValidationError("--prefetch must be at least 1.") }
        if partitions < 1 { throw ValidationError("--partitions must be at least 1.") }
        if rate < 0 { throw ValidationError("--rate must be 0 or more.") }
        if rate > 0 && !(rateSeconds > 0) { throw ValidationError("--rate-seconds must be more than 0.") }
        if runs < 1 { throw ValidationError("--runs must be at least 1.") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the bench on `io`: progress on its error stream, the table or JSON on its output.
    public func run(io: CommandIO) async throws {
        let requested = BenchSettings(
            messages: messages,
            size: size,
            batch: batch,
            inFlight: inFlight ?? 1,
            prefetch: prefetch,
            partitions: partitions,
            rate: rate,
            rateSeconds: rateSeconds
        )
        try await CommandSession.run(global, io: io) { session in
            let backend = session.client.backend
            var settings = requested
            settings.inFlight = inFlight ?? (backend.name == "inmemory" ? 1 : 1000)
            let progress = BenchProgress(sink: io.errors)
            progress.show("preparing \(messages) messages of \(size) bytes")
            let workload = BenchWorkload(count: messages, size: size, batch: batch)
            let runTag = String(MessageID.generate().suffix(12))
            let subject = BenchSwitchyard(backend: backend, settings: settings, logger: session.logger, runTag: runTag)
            let baseline = backend.name == "inmemory" ? BenchAsyncStream(settings: settings) : nil
            var switchyardRuns: [BenchRow] = []
            var asyncStreamRuns: [BenchRow] = []
            for run in 1...runs {
                switchyardRuns.append(try await subject.measure(workload, run: run, progress: progress))
                if let baseline {
                    asyncStreamRuns.append(try await baseline.measure(workload, run: run, progress: progress))
                }
            }
            let report = BenchReport(
                settings: settings,
                backend: backend.name,
                runs: runs,
                cores: ProcessInfo.processInfo.activeProcessorCount,
                date: Date(),
                switchyardRuns: switchyardRuns,
                asyncStreamRuns: asyncStreamRuns
            )
            io.output.write((json ? try report.json() : report.text()) + "\n")
        }
    }
}
