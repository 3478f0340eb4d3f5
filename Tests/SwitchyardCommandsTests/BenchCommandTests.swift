import Switchyard
import Testing

@testable import SwitchyardCommands
import SwitchyardBench

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite(.timeLimit(.minutes(1))) struct BenchCommandTests {
    private func run(_ arguments: [String]) async throws -> String {
        let output = CapturedOutput()
        let command = try BenchCommand.parse(arguments)
        try await command.run(io: CommandIO(input: ChunkedInput([]), output: output, errors: CapturedOutput(), environment: [:]))
        return output.text
    }

    @Test func jsonHasTheMediansTheBaselineAndTheRatioOnInMemory() async throws {
        let text = try await run(["--backend", "inmemory", "--messages", "3000", "--runs", "2", "--rate", "2000", "--rate-seconds", "0.2", "--json"])

        #expect(text.split(separator: "\n").count == 1)
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(text.utf8))
        #expect(report.backend == "inmemory")
        #expect(report.messages == 3000)
        #expect(report.switchyardRuns.count == 2)
        #expect(report.asyncStreamRuns?.count == 2)
        for row in [report.switchyard, report.asyncStream].compactMap({ $0 }) {
            #expect(row.produce > 0 && row.consume > 0 && row.pipeline > 0)
            #expect(row.pipelineP99Ms >= row.pipelineP50Ms)
            #expect((row.rateP99Ms ?? -1) >= 0)
            #expect((row.rateAchieved ?? 0) > 1000)
        }
        let ratio = try #require(report.ratio)
        #expect(abs(ratio.pipeline - report.switchyard.pipeline / (report.asyncStream?.pipeline ?? 1)) < 1e-9)
    }

    @Test func gatewayBenchDeliversEveryOwedMessageToEachSubscriberOnBothSubjects() async throws {
        let text = try await run([
            "--backend", "inmemory", "--gateway", "--subscribers", "4,7", "--messages", "1000", "--symbols", "10",
            "--symbols-per-subscriber", "3", "--rate", "5000", "--runs", "2", "--json",
        ])

        let report = try JSONDecoder().decode(GatewayBenchReport.self, from: Data(text.utf8))
        #expect(report.backend == "inmemory")
        // Each count at --rate, then unpaced.
        #expect(report.gateway.scenarios.map { "\($0.scenario.subscribers)@\($0.scenario.rate ?? 0)" } == ["4@5000", "4@0", "7@5000", "7@0"])
        for result in report.gateway.scenarios {
            // Ten symbols of 100 messages each, three per subscriber: 300 messages owed to each, per run.
            let owed = result.scenario.subscribers * 300 * 2
            for row in [result.gateway, result.baseline] {
                #expect(row.deliveries == owed && row.lost == 0, "\(row.failures)")
                #expect(row.delivered > 0 && row.p99Ms >= row.p50Ms && row.peakResidentMiB > 0)
            }
            #expect(result.gatewayRuns.count == 2 && result.baselineRuns.count == 2)
            #expect(abs(result.ratio - result.gateway.delivered / result.baseline.delivered) < 1e-9)
        }
        #expect(report.gateway.ratio == report.gateway.scenarios.map(\.ratio).min())
        #expect(report.gateway.p99Ms == report.gateway.scenarios[0].gateway.p99Ms)
    }

    @Test func gatewayBenchOptionsAreCheckedBeforeAnythingRuns() throws {
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--gateway", "--subscribers", "100,zero"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--gateway", "--symbols", "2", "--symbols-per-subscriber", "3"]) }
    }

    @Test func theTableShowsBothRowsAndTheRatio() async throws {
        let text = try await run(["--backend", "inmemory", "--messages", "2000", "--runs", "1", "--batch", "100", "--rate", "0"])

        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("switchyard bench: backend=inmemory messages=2000 size=100B batch=100"))
        #expect(lines[1].contains("produce msg/s") && !lines[1].contains("@"))
        #expect(lines[2].hasPrefix("switchyard (inmemory)"))
        #expect(lines[3].hasPrefix("AsyncStream"))
        #expect(lines[4].hasPrefix("switchyard/AsyncStream") && lines[4].hasSuffix("x"))
    }

    @Test func optionsOutOfRangeAreRefused() {
        for arguments in [["--messages", "0"], ["--runs", "0"], ["--batch", "0"], ["--rate", "-1"], ["--rate", "10", "--rate-seconds", "0"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try BenchCommand.parse(arguments) }
        }
    }
}
