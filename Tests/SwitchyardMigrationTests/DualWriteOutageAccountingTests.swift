import Foundation
import Switchyard
import SwitchyardInMemory
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
                try await Task.sleep(for: .milliseconds(50))
                secondary.stopBroker()
                // Down until the outage has spooled a good number of copies (bounded, so it never hangs).
                let outageLimit = ContinuousClock.now + .seconds(20)
                while dual.stats().spooled < 200 && ContinuousClock.now < outageLimit {
                    try await Task.sleep(for: .milliseconds(10))
                }
                secondary.startBroker()
                try await Task.sleep(for: .milliseconds(100))
                stop.withLock { $0 = true }
                return []
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        try await producer.close()

        // Read the stats the instant the spool reports empty, as the rehearsal does.
        let deadline = ContinuousClock.now + .seconds(15)
        var stats = dual.stats()
        while stats.spoolDepth > 0 && ContinuousClock.now < deadline {
            await Task.yield()
            stats = dual.stats()
        }
        #expect(stats.spoolDepth == 0, "the spool drains once the secondary is back: \(stats)")
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
