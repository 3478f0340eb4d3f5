import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write spool corruption")
struct DualWriteSpoolCorruptionTests {
    private let topic = TopicSpec(name: "payments", partitions: 1)

    /// Spools `count` copies with the secondary down, shuts down, and returns the ids in send order.
    private func spool(_ count: Int, in directory: String) async throws -> [String] {
        let secondary = InMemoryBackend()
        secondary.stopBroker()
        let dual = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        let producer = try await dual.makeProducer()
        var sent: [String] = []
        for index in 0..<count {
            let message = Message(key: "k", payload: "payment \(index) " + String(repeating: "x", count: 50))
            try await producer.send(message, to: topic.name)
            sent.append(message.id)
        }
        try await producer.close()
        try await dual.shutdown()
        return sent
    }

    /// Opens the spool again with a working secondary and returns what it replayed, with the stats.
    private func replay(_ directory: String) async throws -> (ids: [String], stats: DualWriteStats) {
        let secondary = InMemoryBackend()
        try await secondary.ensureTopic(topic)
        let dual = try await DualWriteBackend(primary: InMemoryBackend(), secondary: secondary, configuration: DualWriteTestSupport.configuration(directory))
        try await eventually("the spool draining: \(dual.stats())") { dual.stats().spoolDepth == 0 }
        let stats = dual.stats()
        try await dual.shutdown()
        let replayed = try await DualWriteTestSupport.allMessages(on: topic.name, of: secondary)
        return (DualWriteTestSupport.distinctIDs(replayed), stats)
    }

    private func recordsPath(_ directory: String) -> String { directory + "/records.log" }

    @Test("A truncated last record is reported and the records before it still replay")
    func truncatedTail() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sent = try await spool(10, in: directory)
        let handle = try #require(FileHandle(forUpdatingAtPath: recordsPath(directory)))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 7)
        try handle.close()

        let (replayed, stats) = try await replay(directory)
        #expect(replayed == Array(sent.dropLast()))
        let corruption = try #require(stats.corruptions.first)
        #expect(stats.corruptions.count == 1)
        #expect(corruption.reason.contains("cut short"))
        #expect(corruption.file.hasSuffix("records.log"))
        let quarantine = try #require(corruption.quarantinedTo)
        #expect(FileManager.default.fileExists(atPath: quarantine), "the bad bytes are kept, not dropped")
    }

    @Test("A flipped byte in a middle record is reported; the records before and after it replay")
    func flippedByte() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sent = try await spool(10, in: directory)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: recordsPath(directory))))
        let recordSize = bytes.count / 10
        bytes[4 * recordSize + recordSize / 2] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: recordsPath(directory)))

        let (replayed, stats) = try await replay(directory)
        var expected = sent
        expected.remove(at: 4)
        #expect(replayed == expected)
        #expect(stats.corruptions.count == 1)
        #expect(stats.corruptions.first?.reason.contains("CRC-32") == true)
        #expect(stats.corruptions.first?.offset == 4 * recordSize)
    }

    @Test("A corrupt acknowledgement log is reported and only causes replays, never losses")
    func corruptAcknowledgements() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sent = try await spool(5, in: directory)
        try Data([0x53, 0x59, 0x53, 0x50, 0xFF]).write(to: URL(fileURLWithPath: directory + "/delivered.log"))
        let (replayed, stats) = try await replay(directory)
        #expect(replayed == sent)
        #expect(stats.corruptions.count == 1)
        #expect(stats.corruptions.first?.file.hasSuffix("delivered.log") == true)
    }
}
