import ArgumentParser
import Logging
import Switchyard
import SwitchyardDemo

/// `switchyard demo`: the crypto price pipeline on the configured backend.
public struct DemoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the crypto price demo: a simulated market feed, 1-second candles and a live price board.",
        discussion: """
            A simulated feed publishes trades of the busiest --symbols markets to the `prices` topic, \
            keyed by symbol. Two consumer groups read every trade: one builds 1-second OHLCV candles, \
            one keeps the board, redrawn in place on a terminal. After --seconds the feed stops, both \
            groups drain, and a summary line reports published, consumed, lost and duplicated messages \
            and the p99 publish-to-consume latency. A gRPC gateway on a loopback port serves the same \
            prices to a gRPC subscriber in the same run, and the summary adds what it delivered and lost. The command fails when any message was lost. With \
            --backend kafka and no kafka.bootstrapServers it runs on a 3-broker mock cluster started in \
            this process for the demo's duration.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: "How long the feed publishes, in seconds.")
    public var seconds: Double = 10

    @Option(help: "How many symbols trade, the busiest first (1 to \(MarketSymbol.catalog.count)).")
    public var symbols: Int = 8

    @Option(help: "The seed of the simulated market; random when left out.")
    public var seed: UInt64?

    public init() {}

    public func validate() throws {
        if !(seconds > 0) || seconds > 86_400 { throw ValidationError("--seconds must be more than 0 and at most 86400.") }
        if !(1...MarketSymbol.catalog.count).contains(symbols) {
            throw ValidationError("--symbols must be from 1 to \(MarketSymbol.catalog.count).")
        }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the demo on `io`: the board and the summary on its output. Throws `ExitCode.failure` after
    /// the summary when a message was lost.
    public func run(io: CommandIO) async throws {
        let configuration = PricePipeline.Configuration(seconds: seconds, symbols: symbols, seed: seed ?? UInt64.random(in: 0...UInt64.max))
        let output = DemoOutput(isTerminal: io.output.isTerminal) { io.output.write($0) }
        let (summary, gatewayDelivered) = try await CommandSession.run(global, io: io, mockKafkaBrokers: 3) { session in
            let backend = session.client.backend
            let gateway = try await DemoGateway.start(
                backend: backend,
                topic: TopicSpec(name: configuration.topic.name, partitions: configuration.partitions),
                logger: session.logger
            )
            let summary: PipelineSummary
            do {
                summary = try await PricePipeline.run(backend: backend, configuration: configuration, output: output, logger: session.logger)
            } catch {
                _ = await gateway.finish(published: 0, timeout: .zero)
                throw error
            }
            return (summary, await gateway.finish(published: summary.published, timeout: configuration.drainTimeout))
        }
        let gatewayLine = " gateway_delivered=\(gatewayDelivered) gateway_lost=\(max(0, summary.published - gatewayDelivered))"
        io.output.write((summary.groupLines + [summary.line + gatewayLine]).joined(separator: "\n") + "\n")
        if summary.lost > 0 {
            throw ExitCode.failure
        }
    }
}
