import Foundation
import Switchyard
import SwitchyardInMemory
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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.probePath())
        process.arguments = [directory, topic, "4"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()

        // Read acknowledged ids until enough have arrived, then kill the writer in the middle of its work.
        let reader = output.fileHandleForReading
        var received = Data()
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count(of: UInt8(ascii: "\n")) < 2000 && ContinuousClock.now < deadline && process.isRunning {
            received.append(reader.availableData)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        received.append(reader.readDataToEndOfFile())
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        let text = String(decoding: received, as: UTF8.self)
        let acknowledged = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).filter { $0.count == 36 }
        #expect(acknowledged.count >= 2000, "the probe acknowledged \(acknowledged.count) sends before the kill")

        // The next start: the same spool, a working secondary.
        let secondary = InMemoryBackend()
        try await secondary.ensureTopic(TopicSpec(name: topic, partitions: 1))
        let dual = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        #expect(await DualWriteTestSupport.wait(for: .seconds(30)) { dual.stats().spoolDepth == 0 }, "\(dual.stats())")
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

extension Data {
    fileprivate func count(of byte: UInt8) -> Int {
        reduce(0) { $0 + ($1 == byte ? 1 : 0) }
    }
}
