import Logging
import Metrics
import MetricsTestKit
import ServiceLifecycle
import ServiceLifecycleTestKit
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@Suite("Client lifecycle and metrics", .timeLimit(.minutes(1)))
struct ClientLifecycleTests {
    @Test("graceful shutdown ends consumer loops, drains sends in flight, then returns")
    func gracefulShutdownDrains() async throws {
        let backend = GatedBackend(name: "gated-shutdown")
        let client = SwitchyardClient(backend: backend, logger: Logger(label: "test"))
        let consumer = try await client.makeConsumer(topic: "lifecycle", options: ConsumerOptions(group: "g"))
        let producer = try await client.makeProducer()
        let consumerLoopEnded = LockedValue(false)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                group.addTask {
                    for try await delivery in consumer {
                        try await delivery.ack()
                    }
                    consumerLoopEnded.withLock { $0 = true }
                }
                group.addTask { try await producer.send(Message(key: nil, payload: "in flight"), to: "lifecycle") }
                try await eventually("the send waiting at the gate") { backend.gate.waiting == 1 }
                trigger.triggerGracefulShutdown()
                try await eventually("graceful shutdown ending the consumer loop") { consumerLoopEnded.withLock { $0 } }
                #expect(backend.gate.waiting == 1, "the send is still in flight while the client shuts down")
                backend.gate.open()
                try await group.waitForAll()
            }
        }
        let check = try await backend.makeConsumer(topic: "lifecycle", options: ConsumerOptions(group: "g"))
        let redelivered = try await check.receive(maxMessages: 10)
        #expect(redelivered.map(\.message.payloadString) == ["in flight"], "the drained send reached the log and the group")
        await #expect {
            try await client.makeProducer()
        } throws: { ($0 as? SwitchyardError)?.code == .producerClosed }
        await #expect {
            try await client.makeConsumer(topic: "lifecycle", options: ConsumerOptions(group: "late"))
        } throws: { ($0 as? SwitchyardError)?.code == .consumerClosed }
    }

    @Test("producers and consumers count what they do, per backend")
    func metricsAreCounted() async throws {
        let metrics = TestMetrics.bootstrapped
        let backend = GatedBackend(name: "metrics-probe")
        backend.gate.open()
        let dimensions = [("backend", "metrics-probe")]
        let consumer = try await backend.makeConsumer(topic: "counted", options: ConsumerOptions(group: "g", maxDeliveryAttempts: 2))
        let producer = try await backend.makeProducer()
        try await producer.send([Message(key: nil, payload: "a"), Message(key: nil, payload: "b")], to: "counted")
        var settled = 0
        while settled < 2 {
            for delivery in try await consumer.receive(maxMessages: 10) {
                if delivery.message.payloadString == "a" {
                    try await delivery.ack()
                    settled += 1
                } else {
                    try await delivery.nack(requeue: true)
                    if delivery.deliveryAttempt == 2 { settled += 1 }
                }
            }
        }
        #expect(metrics.counterTotal(label: "switchyard_messages_sent_total", dimensions: dimensions) == 2)
        #expect(metrics.counterTotal(label: "switchyard_messages_received_total", dimensions: dimensions) == 3)
        #expect(metrics.counterTotal(label: "switchyard_messages_acked_total", dimensions: dimensions) == 1)
        #expect(metrics.counterTotal(label: "switchyard_messages_requeued_total", dimensions: dimensions) == 1)
        #expect(metrics.counterTotal(label: "switchyard_messages_dead_lettered_total", dimensions: dimensions) == 1)
    }
}

extension TestMetrics {
    /// The process-wide metrics backend for tests; the metrics system can be bootstrapped only once.
    static let bootstrapped: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()
}
