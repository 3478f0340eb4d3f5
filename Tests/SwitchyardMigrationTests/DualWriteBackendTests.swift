import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write backend")
struct DualWriteBackendTests {
    private let topic = TopicSpec(name: "orders", partitions: 1)

    @Test("A secondary outage loses nothing on either side, and the spool drains to zero after recovery")
    func secondaryOutageThenRecovery() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let primary = InMemoryBackend()
        let secondary = InMemoryBackend()
        let dual = try await DualWriteBackend(primary: primary, secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        try await dual.ensureTopic(topic)
        let producer = try await dual.makeProducer()
        var sent: [String] = []
        for index in 0..<300 {
            if index == 100 { secondary.stopBroker() }
            if index == 200 { secondary.startBroker() }
            let message = Message(key: "one-key", payload: "order \(index)")
            try await producer.send(message, to: topic.name)
            sent.append(message.id)
            if index == 199 {
                #expect(dual.stats().spoolDepth > 0, "copies sent during the outage wait in the spool")
            }
        }
        try await producer.close()
        try await eventually("the spool draining once the secondary is back: \(dual.stats())") { dual.stats().spoolDepth == 0 }

        let onPrimary = try await DualWriteTestSupport.allMessages(on: topic.name, of: primary)
        let onSecondary = try await DualWriteTestSupport.allMessages(on: topic.name, of: secondary)
        #expect(onPrimary.map(\.id) == sent)
        #expect(DualWriteTestSupport.distinctIDs(onSecondary) == sent, "the secondary has every message, in send order")
        #expect(Dictionary(grouping: onSecondary, by: \.id).values.allSatisfy { copies in copies.allSatisfy { $0 == copies[0] } })
        #expect(zip(onPrimary, onSecondary).allSatisfy { $0.publishedAt == $1.publishedAt })

        let stats = dual.stats()
        #expect(stats.writes == 300)
        #expect(stats.secondaryFailures >= 1)
        #expect(stats.spooled >= 100)
        #expect(stats.replayed == stats.spooled)
        #expect(stats.corruptions.isEmpty)
        try await dual.shutdown()
    }

    @Test("Copies left in the spool at shutdown are replayed by the next backend on the same directory")
    func undeliveredCopiesSurviveARestart() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secondary = InMemoryBackend()
        secondary.stopBroker()
        let first = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        let producer = try await first.makeProducer()
        var sent: [String] = []
        for index in 0..<40 {
            let message = Message(key: nil, payload: "copy \(index)")
            try await producer.send(message, to: topic.name)
            sent.append(message.id)
        }
        try await producer.close()
        try await first.shutdown()
        #expect(first.stats().spoolDepth == 40)

        secondary.startBroker()
        try await secondary.ensureTopic(topic)
        let second = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        try await eventually("the spool draining: \(second.stats())") { second.stats().spoolDepth == 0 }
        #expect(second.stats().replayed == 40)
        #expect(second.stats().recovered == 40 && second.stats().spooled == 0, "the copies replayed are the ones found at start")
        let onSecondary = try await DualWriteTestSupport.allMessages(on: topic.name, of: secondary)
        #expect(DualWriteTestSupport.distinctIDs(onSecondary) == sent)
        try await second.shutdown()

        let third = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        #expect(third.stats().spoolDepth == 0, "delivered copies are not replayed again")
        try await third.shutdown()
    }

    @Test("Consumers read from the side readFrom names")
    func consumersReadFromTheConfiguredSide() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let primary = InMemoryBackend()
        let secondary = InMemoryBackend()
        try await secondary.ensureTopic(topic)
        let secondaryOnly = try await secondary.makeProducer()
        try await secondaryOnly.send(Message(key: nil, payload: "only on the secondary"), to: topic.name)
        try await secondaryOnly.close()

        let dual = try await DualWriteBackend(
            primary: primary,
            secondary: secondary,
            configuration: DualWriteTestSupport.configuration(directory, readFrom: .secondary)
        )
        let messages = try await DualWriteTestSupport.allMessages(on: topic.name, through: dual, storedIn: secondary)
        #expect(messages.map(\.payloadString) == ["only on the secondary"])
        try await dual.shutdown()
    }

    @Test("Limits are the stricter side's, and topics are created on demand only if both sides do it")
    func limitsAndCapabilities() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let small = InMemoryBackend(configuration: InMemoryBackend.Configuration(maxMessageBytes: 1000, autoCreateTopics: false))
        let dual = try await DualWriteBackend(primary: InMemoryBackend(), secondary: small, configuration: DualWriteTestSupport.configuration(directory))
        #expect(dual.limits.maxMessageBytes == 1000)
        #expect(!dual.capabilities.contains(.autoCreateTopics))
        #expect(dual.capabilities.contains(.replay))
        let producer = try await dual.makeProducer()
        await #expect(throws: SwitchyardError.self) {
            try await producer.send(Message(key: nil, payload: [UInt8](repeating: 1, count: 2000)), to: "big")
        }
        try await producer.close()
        try await dual.shutdown()
    }

    @Test("A second backend cannot open a spool another one holds, nor use one backend for both sides")
    func spoolIsExclusive() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await DualWriteBackend(primary: InMemoryBackend(), secondary: InMemoryBackend(), configuration: DualWriteTestSupport.configuration(directory))
        await #expect {
            _ = try await DualWriteBackend(primary: InMemoryBackend(), secondary: InMemoryBackend(), configuration: DualWriteTestSupport.configuration(directory))
        } throws: { error in
            (error as? SwitchyardError)?.code == .invalidConfiguration && "\(error)".contains("held by another process")
        }
        try await first.shutdown()
        let same = InMemoryBackend()
        await #expect {
            _ = try await DualWriteBackend(primary: same, secondary: same, configuration: DualWriteTestSupport.configuration(directory))
        } throws: { error in
            (error as? SwitchyardError)?.code == .invalidConfiguration && "\(error)".contains("same inmemory backend")
        }
    }
}
