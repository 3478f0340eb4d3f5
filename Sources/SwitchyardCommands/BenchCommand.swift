import ArgumentParser
import Logging
import Switchyard
import SwitchyardBench
import SwitchyardKafka
import SwitchyardMigration

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
            also passes the same messages through an AsyncStream with one producer and one consumer task. \
            With --backend kafka and no kafka.bootstrapServers it runs on a 3-broker mock cluster started \
            in this process; the consume clock starts at the first delivery and the pipeline and latency \
            phases start once the consumer has its partitions, so a group's join time is left out. With \
            --rdkafka-baseline, each run also runs that raw librdkafka program on the same cluster. With \
            --backend dual, each run also measures dual.primary and dual.secondary alone on fresh topics, \
            and the table adds dual-write throughput over the slower side's (a Kafka side without \
            kafka.bootstrapServers runs on the mock cluster). With --gateway it measures the gRPC gateway \
            instead, beside a bare grpc-swift server streaming the same messages to the same subscribers.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: "Messages per phase (default 200000; 50000 on kafka, which stays within the mock cluster's 5 MiB per partition).")
    public var messages: Int?

    @Option(help: "Payload size in bytes.")
    public var size: Int = 100

    @Option(help: "Messages per send; 1 sends them one at a time (default 1; 1000 on kafka).")
    public var batch: Int?

    @Option(help: "Sends (or batches) awaiting the broker's acknowledgement at once (default 1 on inmemory, whose send never waits; 64 batches on kafka; 1000 on rabbitmq, its confirm window; with --gateway, 16 on a broker).")
    public var inFlight: Int?

    @Option(help: "The consumer's prefetch: deliveries held unacknowledged at most (default 1000; 20000 on kafka).")
    public var prefetch: Int?

    @Option(
        help: "How consumers ack: batch (one call per received batch) or each (one call per message).",
        transform: { text in
            guard let ack = BenchSettings.Acknowledgement(rawValue: text) else {
                throw ValidationError("--ack must be batch or each, not '\(text)'.")
            }
            return ack
        }
    )
    package var ack: BenchSettings.Acknowledgement = .batch

    @Option(help: "Partitions of each bench topic (default 4; 6 on kafka).")
    public var partitions: Int?

    @Option(help: "The send rate of the latency phase, in messages per second; 0 skips it.")
    public var rate: Int = 10_000

    @Option(help: "How long the latency phase sends, in seconds.")
    public var rateSeconds: Double = 2

    @Option(help: "How many times to repeat the measurements; the table shows medians.")
    public var runs: Int = 3

    @Option(help: ArgumentHelp("On kafka, the raw librdkafka baseline (Benchmarks/rdkafka-baseline.c, built) to run on the same cluster in each run.", valueName: "executable"))
    public var rdkafkaBaseline: String?

    @Flag(help: "Print one JSON object instead of the table.")
    public var json = false

    @Flag(
        help: ArgumentHelp(
            "Measure the gRPC gateway instead: subscribers streaming prices from it, beside a bare grpc-swift server streaming the same messages.",
            discussion: "Each scenario (every --subscribers count, at --rate and unpaced) publishes --messages (default 30000) to the backend; the JSON has gateway.ratio and gateway.p99Ms."
        )
    )
    public var gateway = false

    @Option(help: "With --gateway: the subscriber counts to measure, comma-separated.")
    public var subscribers: String = "100,1000"

    @Option(help: "With --gateway: how many symbols (message keys) the prices cover.")
    public var symbols: Int = 100

    @Option(help: "With --gateway: how many symbols each subscriber asks for.")
    public var symbolsPerSubscriber: Int = 3

    public init() {}

    public func validate() throws {
        if let messages, messages < 1 { throw ValidationError("--messages must be at least 1.") }
        if size < 0 { throw ValidationError("--size must be 0 or more.") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1.") }
        if let inFlight, inFlight < 1 { throw ValidationError("--in-flight must be at least 1.") }
        if let prefetch, prefetch < 1 { throw ValidationError("--prefetch must be at least 1.") }
        if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1.") }
        if rate < 0 { throw ValidationError("--rate must be 0 or more.") }
        if rate > 0 && !(rateSeconds > 0) { throw ValidationError("--rate-seconds must be more than 0.") }
        if runs < 1 { throw ValidationError("--runs must be at least 1.") }
        if gateway {
            _ = try subscriberCounts()
            if symbols < 1 { throw ValidationError("--symbols must be at least 1.") }
            if symbolsPerSubscriber < 1 || symbolsPerSubscriber > symbols {
                throw ValidationError("--symbols-per-subscriber must be between 1 and --symbols (\(symbols)).")
            }
            if rdkafkaBaseline != nil { throw ValidationError("--rdkafka-baseline does not apply to --gateway, whose baseline is a bare grpc-swift server.") }
        }
    }

    /// The `--subscribers` list.
    func subscriberCounts() throws -> [Int] {
        let counts = subscribers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--subscribers must be positive counts separated by commas, such as 100,1000, not '\(subscribers)'.")
        }
        return counts.compactMap { $0 }
    }

    /// The `--gateway` scenarios: each subscriber count at `--rate` (when not 0), then unpaced.
    func gatewayScenarios() throws -> [GatewayBenchScenario] {
        try subscriberCounts().flatMap { count in
            ((rate > 0 ? [rate] : []) + [nil]).map { pace in
                GatewayBenchScenario(
                    subscribers: count, rate: pace, messages: messages ?? 30_000, symbols: symbols,
                    symbolsPerSubscriber: symbolsPerSubscriber, size: size
                )
            }
        }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the bench on `io`: progress on its error stream, the table or JSON on its output.
    public func run(io: CommandIO) async throws {
        try await CommandSession.run(global, io: io, mockKafkaBrokers: 3) { session in
            let backend = session.client.backend
            if gateway {
                let bench = GatewayBench(
                    backend: backend, scenarios: try gatewayScenarios(), runs: runs, partitions: partitions ?? 1,
                    sendsInFlight: inFlight ?? (backend.name == "inmemory" ? 1 : 16), logger: session.logger
                )
                let report = try await bench.run(progress: io.errors.progressLine)
                io.output.write((json ? try report.json() : report.text()) + "\n")
                return
            }
            let kafka = backend as? KafkaBackend
            let hasKafkaSide = (backend as? DualWriteBackend).map { $0.primary is KafkaBackend || $0.secondary is KafkaBackend } ?? false
            var baseline: Bench.RdKafkaBaseline?
            if let rdkafkaBaseline {
                guard let kafka else {
                    throw SwitchyardError(.invalidConfiguration, "--rdkafka-baseline runs on the Kafka backend only. Add --backend kafka, or leave it out.")
                }
                baseline = Bench.RdKafkaBaseline(executable: rdkafkaBaseline, bootstrapServers: kafka.configuration.bootstrapServers)
            }
            let bench = Bench(
                backend: backend,
                settings: settings(onKafka: kafka != nil || hasKafkaSide, backendName: backend.name),
                runs: runs,
                rdkafkaBaseline: baseline,
                logger: session.logger
            )
            let report = try await bench.run(progress: io.errors.progressLine)
            io.output.write((json ? try report.json() : report.text()) + "\n")
        }
    }

    /// The options with the defaults of the backend filled in.
    func settings(onKafka: Bool, backendName: String) -> BenchSettings {
        BenchSettings(
            messages: messages ?? (onKafka ? 50_000 : 200_000),
            size: size,
            batch: batch ?? (onKafka ? 1000 : 1),
            inFlight: inFlight ?? (onKafka ? 64 : backendName == "inmemory" ? 1 : 1000),
            prefetch: prefetch ?? (onKafka ? 20_000 : 1000),
            partitions: partitions ?? (onKafka ? 6 : 4),
            rate: rate,
            rateSeconds: rateSeconds,
            ack: ack,
            excludesGroupJoin: onKafka
        )
    }
}
