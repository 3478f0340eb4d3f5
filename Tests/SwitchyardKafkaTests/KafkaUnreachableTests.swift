import Logging
import Switchyard
import SwitchyardTestSupport
import SwitchyardKafka
import Testing

/// A cluster that cannot be reached gives clear, retriable errors in bounded time, and leaves nothing
/// running behind.
struct KafkaUnreachableTests {
    private let backend = KafkaBackend(
        configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1", connectTimeout: .seconds(2), adminTimeout: .seconds(2)),
        logger: Logger(label: "test.kafka.unreachable", factory: { _ in SwiftLogNoOpLogHandler() })
    )

    @Test func aConsumerThatCannotReachTheClusterFailsRetriablyInBoundedTime() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: SwitchyardError.self) {
            _ = try await within(.seconds(20), "makeConsumer") {
                try await backend.makeConsumer(topic: "nowhere", options: ConsumerOptions(group: "g"))
            }
        }
        #expect(error?.code == .brokerUnavailable)
        #expect(error?.isRetriable == true)
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test func aSendThatCannotReachTheClusterTimesOutRetriably() async throws {
        let producer = try await backend.makeProducer(options: ProducerOptions(sendTimeout: .seconds(2)))
        let error = await #expect(throws: SwitchyardError.self) {
            _ = try await within(.seconds(20), "send") { try await producer.send(Message(key: "k", payload: "x"), to: "nowhere") }
        }
        #expect(error?.code == .timeout)
        #expect(error?.isRetriable == true)
        try await within(.seconds(20), "close") { try await producer.close() }
    }

    @Test func ensureTopicWithoutAClusterTimesOutRetriably() async throws {
        let error = await #expect(throws: SwitchyardError.self) {
            try await within(.seconds(20), "ensureTopic") { try await backend.ensureTopic(TopicSpec(name: "nowhere", partitions: 3)) }
        }
        #expect(error?.isRetriable == true)
        #expect(error?.code == .timeout || error?.code == .brokerUnavailable)
    }
}
