import Logging
import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardKafka

/// A consumer that stops acking holds a bounded number of messages, however many wait in the topic.
struct KafkaBackpressureTests {
    @Test func aStalledConsumerHoldsAtMostAboutItsPrefetch() async throws {
        let quiet = Logger(label: "test.kafka.backpressure", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = try await KafkaMockCluster.start(brokers: 1, logger: quiet)
        let configuration = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: KafkaMockCluster.clientProperties)
        let backend = KafkaBackend(configuration: configuration, mockCluster: cluster, logger: quiet)
        try await backend.ensureTopic(TopicSpec(name: "backlog", partitions: 2))
        let producer = try await backend.makeProducer()
        let backlog = (0..<5_000).map { Message(key: Array("key-\($0 % 16)".utf8), payload: [UInt8](repeating: 7, count: 100)) }
        try await producer.send(backlog, to: "backlog")
        try await producer.close()

        let prefetch = 20
        let driver = try await KafkaConsumerDriver.make(
            topic: "backlog", options: ConsumerOptions(group: "stalled", startPosition: .earliest, prefetch: prefetch),
            configuration: configuration, brokerFindsTimestamps: false, logger: quiet
        )
        var received: [ReceivedMessage] = []
        while received.count < prefetch {
            received += try await within(.seconds(30), "receiving up to the prefetch") { try await driver.receive(maxMessages: 100) }
        }
        // The wait is what is tested: the consumer stays stalled for a while, and fetching must stay
        // paused through it. There is no event to wait for instead.
        try await Task.sleep(for: .seconds(2))
        let held = driver.heldCount
        #expect(received.count == prefetch)
        // Pausing stops fetching; at most the fetch responses already under way still arrive.
        #expect(held < 1_000, "a stalled consumer with prefetch \(prefetch) holds \(held) of 5000 messages")
        print("Kafka backpressure: a stalled consumer with prefetch \(prefetch) holds \(held) of \(backlog.count) messages")
        try await driver.close()
        await cluster.shutdown()
    }
}
