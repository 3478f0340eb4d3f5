import Foundation
import Switchyard
import SwitchyardMigration
import SwitchyardTestSupport

@testable import SwitchyardInMemory

/// Helpers shared by the dual-write tests.
enum DualWriteTestSupport {
    /// A new empty directory for a spool; the caller removes it.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-spool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A configuration that retries quickly, so recovery shows within a test's time.
    static func configuration(_ directory: String, readFrom: DualWriteBackend.Side = .primary) -> DualWriteBackend.Configuration {
        DualWriteBackend.Configuration(
            spoolDirectory: directory,
            readFrom: readFrom,
            secondarySendTimeout: .seconds(2),
            replayBatchSize: 64,
            replayBackoff: .milliseconds(10)...(.milliseconds(100)),
            shutdownDrainTimeout: .milliseconds(200)
        )
    }

    /// Every message on `topic` of `broker`, from the earliest, in the order a single-partition topic
    /// holds them.
    static func allMessages(on topic: String, of broker: InMemoryBackend) async throws -> [Message] {
        try await allMessages(on: topic, through: broker, storedIn: broker)
    }

    /// Every message on `topic`, read through `backend` from the earliest, in the order a
    /// single-partition topic holds them. `broker` is the in-memory broker that stores the topic (it is
    /// `backend`, or the side a dual-write backend reads from): the reading ends when its receive waits,
    /// which it does only once nothing is left to take. No other receive may wait on `topic` meanwhile.
    static func allMessages(on topic: String, through backend: some MessagingBackend, storedIn broker: InMemoryBackend) async throws -> [Message] {
        let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(startPosition: .earliest))
        let messages = try await withThrowingTaskGroup(of: [Message].self) { group in
            group.addTask {
                var messages: [Message] = []
                while true {
                    let batch: [Delivery]
                    do {
                        batch = try await consumer.receive(maxMessages: 500)
                    } catch let error as SwitchyardError where error.code == .cancelled {
                        return messages
                    }
                    for delivery in batch {
                        messages.append(delivery.message)
                        try await delivery.ack()
                    }
                }
            }
            try await eventually("reading \(topic) to its end") { broker.waitingReceives(on: topic) == 1 }
            group.cancelAll()
            return try await group.next() ?? []
        }
        try await consumer.close()
        return messages
    }

    /// The ids in first-seen order, each once.
    static func distinctIDs(_ messages: [Message]) -> [String] {
        var seen: Set<String> = []
        return messages.map(\.id).filter { seen.insert($0).inserted }
    }
}
