import Switchyard
import SwitchyardRabbitMQ
import Testing

extension BrokerTests {
    /// Connection failures and broker refusals against the local rabbitmq-server.
    @Suite(.serialized)
    struct ConnectionTests {
        private func backend(url: String) throws -> RabbitMQBackend {
            try RabbitMQBackend(configuration: .init(endpoint: try RabbitMQEndpoint(url: url)))
        }

        private func expectRefusedLogin(_ url: String) async throws {
            let started = ContinuousClock.now
            let error = await #expect(throws: SwitchyardError.self) {
                try await backend(url: url).ensureTopic(TopicSpec(name: "refused"))
            }
            #expect(error?.code == .authenticationFailed, "\(String(describing: error))")
            #expect(error?.isRetriable == false)
            #expect(error?.message.contains("wrong-password") == false)
            #expect(ContinuousClock.now - started < .seconds(5))
        }

        @Test func aWrongPasswordFailsAsAuthenticationFailedWithinSeconds() async throws {
            try await expectRefusedLogin("amqp://guest:wrong-password@\(TestBroker.host):\(TestBroker.port)/")
        }

        @Test func anUnknownVirtualHostFailsAsAuthenticationFailedWithinSeconds() async throws {
            try await expectRefusedLogin("amqp://guest:guest@\(TestBroker.host):\(TestBroker.port)/no-such-vhost-\(UInt32.random(in: 0...UInt32.max))")
        }

        @Test func aMessageNoQueueTakesFailsAsUnroutable() async throws {
            let backend = try await TestBroker.backend()
            let topic = "unroutable-\(UInt32.random(in: 0...UInt32.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let producer = try await backend.makeProducer()
            let error = await #expect(throws: SwitchyardError.self) {
                try await producer.send(Message(key: "k", payload: "no group listens"), to: topic)
            }
            #expect(error?.code == .unroutable, "\(String(describing: error))")
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            let routed = Message(key: "k", payload: "a group listens now")
            try await producer.send(routed, to: topic)
            let received = try await consumer.receive(maxMessages: 10)
            #expect(received.map(\.message.id) == [routed.id])
            for delivery in received { try await delivery.ack() }
            try await consumer.close()
            try await producer.close()
        }

        @Test func theQuorumDeliveryCountHeaderIsRefusedOnSend() async throws {
            let backend = try await TestBroker.backend()
            let topic = "reserved-\(UInt32.random(in: 0...UInt32.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let producer = try await backend.makeProducer()
            let error = await #expect(throws: SwitchyardError.self) {
                try await producer.send(Message(key: "k", payload: "x", headers: [MessageHeader(name: "x-delivery-count", value: "3")]), to: topic)
            }
            #expect(error?.code == .invalidMessage)
            try await producer.close()
        }

        @Test func aGroupQueueRedeclaredWithAnotherTypeIsAClearConfigurationError() async throws {
            let topic = "retyped-\(UInt32.random(in: 0...UInt32.max))"
            let quorum = try await TestBroker.backend(queueType: .quorum)
            try await quorum.ensureTopic(TopicSpec(name: topic))
            let first = try await quorum.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            let classic = try await TestBroker.backend(queueType: .classic)
            let error = await #expect(throws: SwitchyardError.self) {
                _ = try await classic.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            }
            #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
            try await first.close()
        }
    }
}
