import Switchyard
import SwitchyardRabbitMQ
import Testing

extension BrokerTests {
    /// How topics and groups map onto exchanges and queues.
    @Suite(.serialized, .timeLimit(.minutes(1)))
    struct TopologyTests {
        @Test(arguments: [RabbitMQBackend.QueueType.quorum, .classic])
        func aGroupNameWithADotIsRefusedBecauseItsQueueNameWouldBeAmbiguous(_ queueType: RabbitMQBackend.QueueType) async throws {
            // Refused before connecting, so a closed port shows that no broker is involved.
            let endpoint = try RabbitMQEndpoint(url: "amqp://guest:guest@127.0.0.1:1/")
            let backend = try RabbitMQBackend(configuration: .init(endpoint: endpoint, queueType: queueType))
            do {
                let consumer = try await backend.makeConsumer(topic: "a", options: ConsumerOptions(group: "b.c"))
                try await consumer.close()
                Issue.record("Group 'b.c' on topic 'a' was accepted")
            } catch {
                #expect(error.code == .invalidTopicName)
                #expect(error.message.contains("'a.b.c'"))
                #expect(error.message.contains("Use '-' or '_'"))
            }
        }

        @Test(arguments: [RabbitMQBackend.QueueType.quorum, .classic])
        func aDeadLetterIsKeptWhenNoGroupIsBoundToTheDeadLetterTopic(_ queueType: RabbitMQBackend.QueueType) async throws {
            let backend = try await TestBroker.backend(queueType: queueType)
            let topic = "kept-dlq-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            let producer = try await backend.makeProducer()
            let sent = Message(key: "k", payload: "dead-lettered with no dlq group", headers: [MessageHeader(name: "kept", value: "yes")])
            try await producer.send(sent, to: topic)
            let received = try await consumer.receive(maxMessages: 1)
            try #require(received.count == 1)
            try await received[0].deadLetter(reason: "test: kept")

            let kept = try await backend.makeConsumer(topic: TopicName.deadLetter(of: topic), options: ConsumerOptions(group: "kept"))
            let dead = try await kept.receive(maxMessages: 1)
            try #require(dead.count == 1)
            #expect(dead[0].message.id == sent.id)
            #expect(dead[0].message.payload == sent.payload)
            #expect(dead[0].message.headers.contains(MessageHeader(name: DeadLetterHeader.reason, value: "test: kept")))
            try await dead[0].ack()
            try await kept.close()
            try await consumer.close()
            try await producer.close()
        }
    }
}
