import Logging
import Switchyard
import SwitchyardTestSupport
import SwitchyardKafka
import Testing

/// Producer behaviour beyond the contract: a full local queue makes sends wait, not fail.
struct KafkaProducerTests {
    @Test func sendsWaitWhenLibrdkafkasQueueIsFullInsteadOfFailing() async throws {
        let quiet = Logger(label: "test.kafka.producer", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = try await KafkaMockCluster.start(brokers: 1, logger: quiet)
        // A queue of 5 messages and a 20 ms linger: most of 500 concurrent sends meet QUEUE_FULL.
        let configuration = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            properties: ["queue.buffering.max.messages": "5", "linger.ms": "20"]
        )
        let backend = KafkaBackend(configuration: configuration, mockCluster: cluster, logger: quiet)
        try await backend.ensureTopic(TopicSpec(name: "full-queue", partitions: 2))
        let producer = try await backend.makeProducer()
        let failures = try await within(.seconds(60), "500 sends through a 5-message queue") {
            await withTaskGroup(of: Int.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        do {
                            try await producer.send(Message(key: "key-\(index % 7)", payload: "queued #\(index)"), to: "full-queue")
                            return 0
                        } catch {
                            return 1
                        }
                    }
                }
                return await group.reduce(0, +)
            }
        }
        #expect(failures == 0)
        try await producer.close()
        await cluster.shutdown()
    }
}
