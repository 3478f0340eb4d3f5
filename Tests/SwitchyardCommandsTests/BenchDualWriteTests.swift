import Switchyard
import Testing

@testable import SwitchyardCommands
import SwitchyardBench

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `bench --backend dual`: the dual-write backend beside each of its sides alone, in the same runs. Its one
/// bench of two runs took 141 s in a debug build on a busy 2-core machine, hence the longer limit.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BenchDualWriteTests {
    /// Runs the bench on in-memory as the primary and a mock Kafka cluster as the secondary.
    private func runOnInMemoryAndKafkaMock(_ extra: [String]) async throws -> String {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("bench-dual-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let output = CapturedOutput()
        let command = try BenchCommand.parse(
            ["--backend", "dual", "--set", "dual.primary=inmemory", "--set", "dual.secondary=kafka", "--set", "dual.spool=\(spool)",
             "--messages", "300", "--partitions", "2", "--rate", "0"] + extra
        )
        try await command.run(io: CommandIO(input: ChunkedInput([]), output: output, errors: CapturedOutput(), environment: [:]))
        return output.text
    }

    /// One bench (each takes a while on the mock cluster's group joins), checked as JSON and as the table.
    @Test func theReportHasTheDualRowEachSideAloneAndTheRatioToTheSlowerSide() async throws {
        let text = try await runOnInMemoryAndKafkaMock(["--runs", "2", "--json"])

        let report = try JSONDecoder().decode(BenchReport.self, from: Data(text.utf8))
        #expect(report.backend == "dual")
        #expect(report.messages == 300)
        #expect(report.asyncStream == nil)
        let sides = try #require(report.dualWrite)
        #expect(sides.primary == "inmemory" && sides.secondary == "kafka" && sides.readFrom == "primary")
        #expect(report.switchyardRuns.count == 2 && sides.primaryRuns.count == 2 && sides.secondaryRuns.count == 2 && sides.ratioRuns.count == 2)
        #expect(sides.spooled == 0)
        for row in report.switchyardRuns + sides.primaryRuns + sides.secondaryRuns {
            #expect(row.produce > 0 && row.consume > 0 && row.pipeline > 0)
        }
        for (run, ratio) in sides.ratioRuns.enumerated() {
            let dual = report.switchyardRuns[run]
            let primary = sides.primaryRuns[run]
            let secondary = sides.secondaryRuns[run]
            #expect(abs(ratio.produce - dual.produce / min(primary.produce, secondary.produce)) < 1e-9)
            #expect(abs(ratio.pipeline - dual.pipeline / min(primary.pipeline, secondary.pipeline)) < 1e-9)
        }
        #expect(abs(sides.ratio.produce - (sides.ratioRuns[0].produce + sides.ratioRuns[1].produce) / 2) < 1e-9)
        #expect(abs(sides.primaryAlone.produce - (sides.primaryRuns[0].produce + sides.primaryRuns[1].produce) / 2) < 1e-6)

        let lines = report.text().split(separator: "\n").map(String.init)
        #expect(lines.count == 7)
        #expect(lines[0].hasPrefix("switchyard bench: backend=dual messages=300 size=100B batch=1000"))
        #expect(lines[2].hasPrefix("switchyard (dual)"))
        #expect(lines[3].hasPrefix("primary (inmemory)"))
        #expect(lines[4].hasPrefix("secondary (kafka)"))
        #expect(lines[5].hasPrefix("dual/slower side") && lines[5].hasSuffix("x"))
        #expect(lines[6] == "dual writes to inmemory, copies to kafka, reads from primary; copies spooled: 0")
    }
}
