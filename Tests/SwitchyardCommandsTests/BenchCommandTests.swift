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
