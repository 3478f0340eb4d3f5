import Logging
import Switchyard
import SwitchyardTestSupport
import SwitchyardKafka
import Testing

/// Where Debian installs kcat.
private let kcatPath = "/usr/bin/kcat"

/// Interop with kcat (Debian `kcat`, librdkafka's command-line client) on the same mock cluster: what
/// one side writes, the other reads byte for byte, and keys land where Java clients put them. Without
/// kcat the suite fails rather than skips: the test command installs it.
@Suite(.serialized)
struct KcatInteropTests {
    private static let quiet = Logger(label: "test.kafka.kcat", factory: { _ in SwiftLogNoOpLogHandler() })

    private func withCluster(_ body: (KafkaMockCluster, KafkaBackend) async throws -> Void) async throws {
        let cluster = try await KafkaMockCluster.start(brokers: 3, logger: Self.quiet)
        let configuration = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            properties: KafkaMockCluster.clientProperties
        )
        do {
            try await body(cluster, KafkaBackend(configuration: configuration, mockCluster: cluster, logger: Self.quiet))
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    /// Runs kcat with `arguments` and `input` on stdin, killed after 30 seconds, and returns its
    /// standard output line by line.
    private func runKcat(_ arguments: [String], input: String = "") async throws -> [String] {
        let kcat = try await ChildProcess.run(kcatPath, arguments, input: input, within: .seconds(30))
        #expect(kcat.termination.succeeded, "kcat \(arguments.joined(separator: " ")) ended with \(kcat.termination): \(kcat.errors)")
        return kcat.lines
    }

    @Test func aMessageProducedByKcatArrivesByteIdentical() async throws {
        try await withCluster { cluster, backend in
            let topic = "kcat-in"
            try await backend.ensureTopic(TopicSpec(name: topic, partitions: 1))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: .earliest))
            _ = try await runKcat(
                ["-P", "-b", cluster.bootstrapServers, "-t", topic, "-K", "|", "-H", "trace=abc-123", "-H", "note=ünïcödé"],
                input: "clé-1|payload with spaces, and ₿\n"
            )
            let received = try await within(.seconds(30), "receiving kcat's message") { try await consumer.receive(maxMessages: 10) }
            try #require(received.count == 1)
            let message = received[0].message
            #expect(message.key == Array("clé-1".utf8))
            #expect(message.payload == Array("payload with spaces, and ₿".utf8))
            #expect(message.headers == [MessageHeader(name: "trace", value: "abc-123"), MessageHeader(name: "note", value: "ünïcödé")])
            #expect(message.id == "kafka:\(topic):0:0")
            #expect(message.publishedAt != nil)
            try await received[0].ack()
            try await consumer.close()
        }
    }

    @Test func aTombstoneFromKcatArrivesAsAnEmptyPayload() async throws {
        try await withCluster { cluster, backend in
            let topic = "kcat-tombstone"
            try await backend.ensureTopic(TopicSpec(name: topic, partitions: 1))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: .earliest))
            _ = try await runKcat(["-P", "-Z", "-b", cluster.bootstrapServers, "-t", topic, "-K", "|"], input: "deleted-key|\n")
            let received = try await within(.seconds(30), "receiving the tombstone") { try await consumer.receive(maxMessages: 10) }
            try #require(received.count == 1)
            #expect(received[0].message.key == Array("deleted-key".utf8))
            #expect(received[0].message.payload.isEmpty)
            try await received[0].ack()
            try await consumer.close()
        }
    }

    @Test func aMessageProducedBySwitchyardIsReadIdenticallyByKcat() async throws {
        try await withCluster { cluster, backend in
            let topic = "kcat-out"
            try await backend.ensureTopic(TopicSpec(name: topic, partitions: 1))
            let producer = try await backend.makeProducer()
            let message = Message(key: "k-1", payload: "hello from switchyard", headers: [MessageHeader(name: "x", value: "1")], publishedAt: 1_700_000_000_123_456)
            try await producer.send(message, to: topic)
            try await producer.close()
            let lines = try await runKcat(["-C", "-b", cluster.bootstrapServers, "-t", topic, "-o", "beginning", "-c", "1", "-e", "-f", "%k %h %s %T\n"])
            #expect(lines == ["k-1 message-id=\(message.id),published-at=1700000000123456,x=1 hello from switchyard 1700000000123"])
        }
    }

    @Test func aKeyedMessageLandsOnTheMurmur2Partition() async throws {
        try await withCluster { _, backend in
            let topic = "kcat-partitions"
            let partitions = 6
            try await backend.ensureTopic(TopicSpec(name: topic, partitions: partitions))
            let producer = try await backend.makeProducer()
            for index in 0..<50 {
                let key = "instrument-\(index)"
                let receipt = try await producer.send(Message(key: key, payload: "p"), to: topic)
                #expect(receipt.position.partition == Murmur2.partition(of: Array(key.utf8), count: partitions), "key \(key)")
            }
            try await producer.close()
        }
    }
}

/// Kafka's default partitioner for keyed records (murmur2, seed 0x9747b28c, as the Java client computes
/// it), written out independently so the test does not trust librdkafka to check itself.
enum Murmur2 {
    static func partition(of key: [UInt8], count: Int) -> Int32 {
        Int32(Int(hash(key) & 0x7fff_ffff) % count)
    }

    static func hash(_ data: [UInt8]) -> UInt32 {
        let multiplier: UInt32 = 0x5bd1_e995
        var hash: UInt32 = 0x9747_b28c ^ UInt32(data.count)
        let whole = data.count / 4 * 4
        for start in stride(from: 0, to: whole, by: 4) {
            var word = UInt32(data[start]) | UInt32(data[start + 1]) << 8 | UInt32(data[start + 2]) << 16 | UInt32(data[start + 3]) << 24
            word &*= multiplier
            word ^= word >> 24
            word &*= multiplier
            hash &*= multiplier
            hash ^= word
        }
        let tail = data.count - whole
        if tail == 3 { hash ^= UInt32(data[whole + 2]) << 16 }
        if tail >= 2 { hash ^= UInt32(data[whole + 1]) << 8 }
        if tail >= 1 {
            hash ^= UInt32(data[whole])
            hash &*= multiplier
        }
        hash ^= hash >> 13
        hash &*= multiplier
        hash ^= hash >> 15
        return hash
    }
}
