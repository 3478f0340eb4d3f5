import Foundation
import SwitchyardMigration
import Testing

@testable import SwitchyardCommands

/// `switchyard migrate rehearse` end to end on the local rabbitmq-server and a Kafka mock cluster.
/// It needs the broker (`.ci/start-rabbitmq`) and fails without it.
@Suite(.timeLimit(.minutes(5))) struct RehearseCommandTests {
    @Test func everyPhasePassesOnRabbitMQAndKafkaWithKafkaDownDuringPhaseTwo() async throws {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("rehearsal-reports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let test = TestIO()
        let command = try RehearseCommand.parse(["--phase-seconds", "4", "--report-dir", reports])

        do {
            try await command.run(io: test.io)
        } catch {
            Issue.record("The rehearsal failed with \(error):\n\(test.output.text)\(test.errors.text)")
            return
        }

        let lines = test.output.text.split(separator: "\n").map(String.init)
        let phases = lines.filter { $0.hasPrefix("phase ") }
        #expect(phases.count == 5, "\(test.output.text)\(test.errors.text)")
        for (number, line) in phases.enumerated() {
            #expect(line.hasPrefix("phase \(number) "), "\(line)")
            #expect(line.hasSuffix(" PASS") && line.contains(" lost=0 mismatched=0 "), "\(line)")
        }
        let outage = try #require(phases.first { $0.hasPrefix("phase 2 dual-write+compare: ") })
        let peak = outage.firstMatch(of: /spool peak=(\d+) \(kafka down/).flatMap { Int($0.1) }
        #expect((peak ?? 0) > 0, "\(outage)")
        #expect(lines.last == "rehearsal PASS: all 5 phases passed")

        for phase in 0...4 {
            let names = ["delivery"] + ((1...3).contains(phase) ? ["sides"] : [])
            for name in names {
                let json = try Data(contentsOf: URL(fileURLWithPath: "\(reports)/phase-\(phase)-\(name).json"))
                let report = try ComparisonReport(json: Array(json))
                #expect(report.verdict.passed, "phase \(phase) \(name)")
                #expect(FileManager.default.fileExists(atPath: "\(reports)/phase-\(phase)-\(name).html"))
            }
        }
        let phase2 = try ComparisonReport(json: Array(try Data(contentsOf: URL(fileURLWithPath: "\(reports)/phase-2-sides.json"))))
        #expect((phase2.dualWrite?.spooled ?? 0) > 0 && phase2.dualWrite?.spoolBacklog == 0)
        #expect(phase2.run.primaryBackend == "rabbitmq" && phase2.run.secondaryBackend == "kafka")
    }

    @Test(arguments: [["--phase-seconds", "0.5"], ["--kafka-brokers", "0"], ["--symbols", "0"], ["--settle-timeout", "0"]])
    func refusesOptionsOutOfRange(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try RehearseCommand.parse(arguments) }
    }
}
