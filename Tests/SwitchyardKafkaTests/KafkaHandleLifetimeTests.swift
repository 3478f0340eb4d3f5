import Foundation
import Logging
import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardKafka

/// Producers and consumers dropped without `close()` free their handles and threads, and consumers
/// leave their group.
@Suite(.serialized)
struct KafkaHandleLifetimeTests {
    private let quiet = Logger(label: "test.kafka.lifetime", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func droppedProducersAndConsumersGiveBackEveryThread() async throws {
        let cluster = try await KafkaMockCluster.start(brokers: 1, logger: quiet)
        let backend = KafkaBackend(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), mockCluster: cluster, logger: quiet)
        try await backend.ensureTopic(TopicSpec(name: "dropped", partitions: 1))
        let before = threadCount()

        for _ in 0..<100 {
            _ = try await backend.makeProducer()
        }
        for _ in 0..<100 {
            _ = try await backend.makeConsumer(topic: "dropped", options: ConsumerOptions(group: "dropped-group"))
        }

        try await eventually("the threads of 100 producers and 100 consumers to end", within: .seconds(60), pollingEvery: .milliseconds(50)) { threadCount() <= before ? () : nil }
        await cluster.shutdown()
    }

    /// The mock cluster answers neither ListGroups nor DescribeGroups (librdkafka 2.0.2's mock replies
    /// `UNSUPPORTED_FEATURE`), so it cannot count a group's members. Nor does a later joiner tell: on
    /// the mock, one that joined after an orderly `close()` was still given no partition 15 s later.
    /// So the member's own protocol log shows it: librdkafka's `cgrp` debug lines record the LeaveGroup request the dropped consumer
    /// sends and the cluster's answer to it, which librdkafka logs as "LeaveGroup response received"
    /// only when it carries no error.
    @Test func aDroppedConsumerLeavesItsGroup() async throws {
        let cluster = try await KafkaMockCluster.start(brokers: 1, logger: quiet)
        let lines = CapturedLines()
        let backend = KafkaBackend(
            configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["debug": "cgrp"]),
            mockCluster: cluster,
            logger: quiet
        )
        try await backend.ensureTopic(TopicSpec(name: "leaving", partitions: 1))
        let producer = try await backend.makeProducer()
        try await producer.send(Message(key: "leaving", payload: "leaving"), to: "leaving")
        try await producer.close()

        try await joinAndDrop(backend, logger: Logger(label: "test.kafka.leave") { _ in CapturingLogHandler(lines: lines) })
        try await eventually("the dropped member's LeaveGroup to be answered", within: .seconds(10), pollingEvery: .milliseconds(50)) { lines.contain("LeaveGroup response received") ? () : nil }
        await cluster.shutdown()
    }
}

/// Makes a member of a group, waits until it has joined, and drops it without closing it.
private func joinAndDrop(_ backend: KafkaBackend, logger: Logger) async throws {
    let member = try await backend.makeConsumerDriver(
        topic: "leaving", options: ConsumerOptions(group: "leaving-group", startPosition: .earliest), logger: logger
    )
    // A delivery means the member has joined the group and been given the partition.
    while try await within(.seconds(30), "the member's first delivery", { try await member.receive(maxMessages: 1) }).isEmpty {}
}

/// Log lines, kept for a test to look through.
private final class CapturedLines: Sendable {
    private let lines = LockedValue<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Whether any line contains `text`.
    func contain(_ text: String) -> Bool {
        lines.withLock { $0.contains { $0.contains(text) } }
    }
}

/// Keeps every message, at every level, in a ``CapturedLines``.
private struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.message)")
    }
}

/// How many threads this process runs now.
private func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
}
