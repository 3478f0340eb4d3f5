import Logging
import Switchyard
import SwitchyardTestSupport
import SwitchyardKafka
import Testing

/// Faults injected through the mock cluster's API while messages flow: whatever happens, every message
/// whose send returned is consumed. Duplicates are counted and reported, not forbidden: the mock does
/// not check idempotent sequence numbers, so a retried produce may store a record twice.
@Suite(.serialized)
struct KafkaFaultTests {
    private static let quiet = Logger(label: "test.kafka.faults", factory: { _ in SwiftLogNoOpLogHandler() })

    /// What one faulty run saw.
    private struct Tally {
        var sent = 0
        var lost: [String] = []
        var duplicates = 0
        var sendRetries = 0
    }

    /// Sends 300 keyed messages to a 3-partition topic on a fresh 3-broker cluster, applies `fault`
    /// after the first 100, and consumes until every sent message has arrived or 60 seconds pass.
    private func run(_ label: String, fault: @escaping @Sendable (KafkaMockCluster, String) async throws -> Void) async throws -> Tally {
        let cluster = try await KafkaMockCluster.start(brokers: 3, logger: Self.quiet)
        let configuration = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            properties: KafkaMockCluster.clientProperties
        )
        let backend = KafkaBackend(configuration: configuration, mockCluster: cluster, logger: Self.quiet)
        let topic = "fault-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try await backend.ensureTopic(TopicSpec(name: topic, partitions: 3))
        let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g-\(topic)", startPosition: .earliest))
        let producer = try await backend.makeProducer(options: ProducerOptions(sendTimeout: .seconds(20)))

        var tally = Tally()
        var sent: Set<String> = []
        for index in 0..<300 {
            if index == 100 { try await fault(cluster, topic) }
            let message = Message(key: "key-\(index % 10)", payload: "\(label) #\(index)")
            while true {
                do {
                    try await producer.send(message, to: topic)
                    sent.insert(message.id)
                    break
                } catch {
                    guard error.isRetriable else { throw error }
                    tally.sendRetries += 1
                    // A retry back-off, as an application would use, not a wait for an event.
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        tally.sent = sent.count

        var seen: [String: Int] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        while !sent.isSubset(of: seen.keys), let batch = try await receive(from: consumer, before: deadline) {
            for delivery in batch {
                seen[delivery.message.id, default: 0] += 1
                try await delivery.ack()
            }
        }
        tally.lost = sent.filter { seen[$0] == nil }.sorted()
        tally.duplicates = seen.values.reduce(0) { $0 + $1 - 1 }
        try await producer.close()
        try await consumer.close()
        await cluster.shutdown()
        print("Kafka fault '\(label)': \(tally.sent) sent, \(tally.lost.count) lost, \(tally.duplicates) duplicates, \(tally.sendRetries) send retries")
        return tally
    }

    /// The next batch, or `nil` once `deadline` has passed.
    private func receive(from consumer: Consumer, before deadline: ContinuousClock.Instant) async throws -> [Delivery]? {
        do {
            return try await within(deadline - .now, "receiving the sent messages") { try await consumer.receive(maxMessages: 100) }
        } catch is WaitTimedOut {
            return nil
        }
    }

    @Test func aBrokerThatGoesDownAndComesBackLosesNoSentMessage() async throws {
        let tally = try await run("broker-down") { cluster, _ in
            await cluster.setBrokerDown(1)
            Task {
                // The outage itself: the broker stays down this long while sends go on.
                try await Task.sleep(for: .seconds(2))
                await cluster.setBrokerUp(1)
            }
        }
        #expect(tally.sent == 300)
        #expect(tally.lost.isEmpty, "lost \(tally.lost)")
    }

    @Test func movingEveryPartitionLeaderLosesNoSentMessage() async throws {
        let tally = try await run("leader-move") { cluster, topic in
            for partition in 0..<3 {
                try await cluster.setPartitionLeader(topic: topic, partition: partition, broker: (partition + 1) % 3 + 1)
            }
        }
        #expect(tally.sent == 300)
        #expect(tally.lost.isEmpty, "lost \(tally.lost)")
    }

    @Test func injectedProduceAndFetchErrorsLoseNoSentMessage() async throws {
        let tally = try await run("request-errors") { cluster, _ in
            await cluster.failNextRequests(.produce, with: [.notLeaderForPartition, .requestTimedOut, .notLeaderForPartition, .notEnoughReplicas, .requestTimedOut])
            await cluster.failNextRequests(.fetch, with: [.notLeaderForPartition, .requestTimedOut])
        }
        #expect(tally.sent == 300)
        #expect(tally.lost.isEmpty, "lost \(tally.lost)")
    }
}
