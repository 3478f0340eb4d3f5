import Logging
import Switchyard
import SwitchyardTestSupport
import SwitchyardKafka
import Testing

/// A consumer without a group is a group of its own: each one reads the whole topic.
struct KafkaPrivateGroupTests {
    @Test func everyConsumerWithoutAGroupReceivesEveryMessage() async throws {
        let quiet = Logger(label: "test.kafka.private", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = try await KafkaMockCluster.start(brokers: 1, logger: quiet)
        let backend = KafkaBackend(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), mockCluster: cluster, logger: quiet)
        try await backend.ensureTopic(TopicSpec(name: "private", partitions: 2))
        let producer = try await backend.makeProducer()
        let sent = (0..<10).map { Message(key: "key-\($0)", payload: "private #\($0)") }
        try await producer.send(sent, to: "private")
        try await producer.close()

        for round in 1...2 {
            let consumer = try await backend.makeConsumer(topic: "private", options: ConsumerOptions(group: nil, startPosition: .earliest))
            var seen: Set<String> = []
            while seen.count < sent.count {
                let batch = try await within(.seconds(30), "round \(round) of private reads") { try await consumer.receive(maxMessages: 100) }
                for delivery in batch {
                    seen.insert(delivery.message.id)
                    try await delivery.ack()
                }
            }
            #expect(seen == Set(sent.map(\.id)), "round \(round)")
            try await consumer.close()
        }
        await cluster.shutdown()
    }
}
