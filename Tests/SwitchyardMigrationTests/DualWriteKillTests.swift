import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write spool under SIGKILL")
struct DualWriteKillTests {
    /// The probe executable, built next to the test bundle.
    private static func probePath() throws -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("SwitchyardDualWriteProbe").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw SwitchyardError(.internalError, "SwitchyardDualWriteProbe was not found next to \(CommandLine.arguments[0]). Build it with `swift build --product SwitchyardDualWriteProbe` (swift test builds it).")
    }

    @Test("A process killed with SIGKILL mid-write loses no acknowledged send: the next start replays them all")
    func killMidWriteThenReplay() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let topic = "killed"

        let probe = try ChildProcess(try Self.probePath(), [directory, topic, "4"])

        // Read acknowledged ids until enough have arrived, then kill the writer in the middle of its work.
        var lines = try await probe.nextLines(2000, within: .seconds(30))
        probe.send(SIGKILL)
        lines += try await probe.remainingLines(within: .seconds(30))
        let ended = try await probe.termination(within: .seconds(30))
        let errors = try await probe.errors(within: .seconds(30))
        #expect(ended.bySignal && ended.status == SIGKILL, "the probe ended with \(ended), not by the kill: \(errors)")
        let acknowledged = lines.filter { $0.count == 36 }
        #expect(acknowledged.count >= 2000, "the probe acknowledged \(acknowledged.count) sends before the kill")

        // The next start: the same spool, a working secondary.
        let secondary = InMemoryBackend()
        try await secondary.ensureTopic(TopicSpec(name: topic, partitions: 1))
        let dual = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        try await eventually("the spool draining: \(dual.stats())", within: .seconds(30)) { dual.stats().spoolDepth == 0 }
        let stats = dual.stats()
        try await dual.shutdown()
        for corruption in stats.corruptions {
            #expect(corruption.reason.contains("cut short"), "only a torn tail is expected after SIGKILL: \(corruption)")
        }
        let replayed = Set(try await DualWriteTestSupport.allMessages(on: topic, of: secondary).map(\.id))
        let lost = acknowledged.filter { !replayed.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) acknowledged sends were not replayed, such as \(lost.prefix(3))")
    }
}
