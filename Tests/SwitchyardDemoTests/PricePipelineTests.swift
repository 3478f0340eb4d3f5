import Logging
import Switchyard
import SwitchyardInMemory
import Testing

@testable import SwitchyardDemo

@Suite struct PricePipelineTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs the pipeline on a fresh in-memory backend and returns its summary and everything it printed.
    private func run(_ configuration: PricePipeline.Configuration, isTerminal: Bool) async throws -> (PipelineSummary, String) {
        let written = LockedValue("")
        let output = DemoOutput(isTerminal: isTerminal) { text in written.withLock { $0 += text } }
        let summary = try await PricePipeline.run(backend: InMemoryBackend(), configuration: configuration, output: output, logger: logger)
        return (summary, written.withLock { $0 })
    }

    @Test(.timeLimit(.minutes(1)))
    func aTwoSecondRunOnTheInMemoryBackendLosesAndDuplicatesNothing() async throws {
        var configuration = PricePipeline.Configuration(seconds: 2, symbols: 6, seed: 9)
        configuration.drainTimeout = .seconds(10)

        let (summary, text) = try await run(configuration, isTerminal: false)

        #expect(summary.published > 300)
        #expect(summary.lost == 0)
        #expect(summary.duplicated == 0)
        #expect(summary.consumed == summary.published)
        #expect(summary.groups.map(\.group) == ["prices-candles", "prices-board"])
        #expect(summary.groups.allSatisfy { $0.skipped == 0 })
        #expect(summary.candles >= 6)
        #expect(summary.latency.totalCount == UInt64(2 * summary.published))
        #expect(summary.line.hasPrefix("summary published=\(summary.published) consumed=\(summary.published) lost=0 duplicated=0 p50="))
        #expect(summary.line.contains(" p99="))
        #expect(text.contains("board t="))
        #expect(text.contains("candle BTC-USD "))
        #expect(!text.contains("\u{1B}["))
    }

    @Test(.timeLimit(.minutes(1)))
    func onATerminalTheBoardIsRedrawnInPlace() async throws {
        var configuration = PricePipeline.Configuration(seconds: 1, symbols: 3, seed: 4)
        configuration.refreshInterval = .milliseconds(200)

        let (summary, text) = try await run(configuration, isTerminal: true)

        #expect(summary.lost == 0)
        #expect(text.contains("\u{1B}[2K"))
        #expect(text.contains("\u{1B}[") && text.contains("F\u{1B}[2K"))
        #expect(text.contains("SOL-USD"))
    }

    @Test func aSymbolCountOutsideTheCatalogIsRefused() async throws {
        let output = DemoOutput(isTerminal: false) { _ in }
        let error = await #expect(throws: SwitchyardError.self) {
            _ = try await PricePipeline.run(
                backend: InMemoryBackend(),
                configuration: PricePipeline.Configuration(seconds: 1, symbols: MarketSymbol.catalog.count + 1),
                output: output,
                logger: logger
            )
        }
        #expect(error?.code == .invalidConfiguration)
    }
}
