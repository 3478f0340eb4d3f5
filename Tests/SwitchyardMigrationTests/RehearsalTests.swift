import Foundation
import Logging
import Switchyard
import SwitchyardInMemory
import Testing

@testable import SwitchyardMigration

/// The rehearsal's phase logic on two in-memory brokers of this process: cheap, and independent of
/// RabbitMQ and Kafka.
@Suite(.timeLimit(.minutes(2))) struct RehearsalTests {
    @Test func everyPhasePassesAndTheOutageIsSpooledAndReplayed() async throws {
        let results = try await Self.rehearse { _ in }

        #expect(results.map(\.phase) == RehearsalPhase.allCases)
        for result in results {
            #expect(result.passed, "\(result.line)")
            #expect(result.published > 0 && result.consumed == result.published, "\(result.line)")
            #expect(result.delivery.matched == result.published, "\(result.line)")
            #expect((result.sides != nil) == result.phase.isDual, "\(result.line)")
        }
        let outage = try #require(results.first { $0.phase == .dualWriteCompare })
        #expect((outage.sides?.dualWrite?.spooled ?? 0) > 0, "\(outage.line)")
        #expect(outage.sides?.dualWrite?.spoolBacklog == 0, "\(outage.line)")
        #expect(outage.fault?.drainedSeconds != nil, "\(outage.line)")
        #expect(outage.line.hasPrefix("phase 2 dual-write+compare: published="))
        #expect(results[3].line.hasPrefix("phase 3 new-primary: "))
    }

    /// Runs a short rehearsal on two fresh in-memory brokers, with `adjust` applied to its configuration.
    private static func rehearse(_ adjust: (inout Rehearsal.Configuration) -> Void) async throws -> [RehearsalResult] {
        let run = UUID().uuidString.lowercased()
        let old = InMemoryBackend.shared(named: "rehearsal-old-\(run)")
        let new = InMemoryBackend.shared(named: "rehearsal-new-\(run)")
        let brokers = RehearsalBrokers(
            oldName: "old",
            newName: "new",
            makeOld: { old },
            makeNew: { new },
            takeNewDown: { new.stopBroker() },
            bringNewUp: { new.startBroker() }
        )
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("rehearsal-\(run)").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        var configuration = Rehearsal.Configuration(topic: "prices-\(run)", group: "app-\(run)", spoolRoot: spool)
        configuration.phaseSeconds = 1.5
        configuration.outageSeconds = 1
        configuration.settleTimeout = .seconds(20)
        adjust(&configuration)
        let rehearsal = Rehearsal(configuration: configuration, brokers: brokers, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await rehearsal.run(traffic: SteadyTraffic(messagesPerSecond: 200, keys: 4), report: { _ in }, note: { _ in })
    }
}

/// Traffic at a steady rate from now on, its keys taken in turn.
private struct SteadyTraffic: RehearsalTraffic {
    private let interval: Int64
    private let keys: Int
    private var sent = 0
    private(set) var nextDue = WallClock.nowMicroseconds()

    init(messagesPerSecond: Int, keys: Int) {
        interval = 1_000_000 / Int64(messagesPerSecond)
        self.keys = keys
    }

    mutating func next() throws -> Message {
        defer {
            sent += 1
            nextDue += interval
        }
        return Message(key: Array("key-\(sent % keys)".utf8), payload: Array("message \(sent)".utf8))
    }
}
