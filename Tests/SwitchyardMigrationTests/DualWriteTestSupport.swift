import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardMigration

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

    /// Waits until `condition` holds, for at most `timeout`; returns whether it did.
    static func wait(for timeout: Duration = .seconds(15), until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// Every message on `topic` of `backend`, from the earliest, in the order a single-partition topic
    /// holds them; stops after `timeout` without a new message.
    static func allMessages(on topic: String, of backend: some MessagingBackend, idle timeout: Duration = .milliseconds(500)) async throws -> [Message] {
        let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(startPosition: .earliest))
        var messages: [Message] = []
        while true {
            let batch = try await withThrowingTaskGroup(of: [Delivery]?.self) { group in
                group.addTask { try await consumer.receive(maxMessages: 500) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let batch, !batch.isEmpty else { break }
            for delivery in batch {
                messages.append(delivery.message)
                try await delivery.ack()
            }
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
