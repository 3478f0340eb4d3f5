import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write accounting across an outage")
struct DualWriteOutageAccountingTests {
    private let topic = TopicSpec(name: "ticks", partitions: 1)

    @Test("Every spooled copy reaches the secondary, and the counters balance the moment the spool is empty")
    func countersBalanceWhenTheSpoolEmpties() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let primary = InMemoryBackend()
        let secondary = InMemoryBackend()
        var configuration = DualWriteTestSupport.configuration(directory)
        configuration.replayBatchSize = 37
        let dual = try await DualWriteBackend(primary: primary, secondary: secondary, configuration: configuration)
        try await dual.ensureTopic(topic)
        let producer = try await dual.makeProducer()
        let senders = 6
        let topicName = topic.name
        let stop = LockedValue(false)
        let sent = try await withThrowingTaskGroup(of: [String].self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var ids: [String] = []
                    while !stop.withLock({ $0 }) {
                        let message = Message(key: "sender-\(sender)", payload: "tick \(ids.count)")
                        try await producer.send(message, to: topicName)
                        ids.append(message.id)
                    }
                    return ids
                }
            }
            group.addTask {
                // Up until copies have gone to the secondary directly, down until the outage has spooled
                // a good number, then up again while the senders go on during the replay.
                try await eventually("200 writes before the outage: \(dual.stats())", within: .seconds(20)) { dual.stats().writes >= 200 }
                secondary.stopBroker()
                try await eventually("200 copies spooled during the outage: \(dual.stats())", within: .seconds(20)) { dual.stats().spooled >= 200 }
                secondary.startBroker()
                let writesAtRecovery = dual.stats().writes
                try await eventually("200 writes after the recovery: \(dual.stats())", within: .seconds(20)) { dual.stats().writes >= writesAtRecovery + 200 }
                stop.withLock { $0 = true }
                return []
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        try await producer.close()

        // Read the stats the instant the spool reports empty, as the rehearsal does.
        let stats = try await eventually("the spool draining once the secondary is back: \(dual.stats())", pollingEvery: .milliseconds(1)) {
            let stats = dual.stats()
            return stats.spoolDepth == 0 ? stats : nil
        }
        #expect(stats.spooled > 0, "the outage sent copies to the spool: \(stats)")
        #expect(stats.spooled + stats.recovered == stats.replayed + stats.unreadable + stats.spoolDepth, "\(stats)")
        #expect(stats.unreadable == 0 && stats.corruptions.isEmpty)
        #expect(stats.writes == sent.count)

        let onSecondary = try await DualWriteTestSupport.allMessages(on: topic.name, of: secondary)
        #expect(Set(onSecondary.map(\.id)) == Set(sent), "every copy, spooled or direct, is on the secondary")
        let later = dual.stats()
        #expect(later.spooled == stats.spooled && later.replayed == stats.replayed, "nothing was still being counted: \(stats) then \(later)")
        try await dual.shutdown()
    }
}
