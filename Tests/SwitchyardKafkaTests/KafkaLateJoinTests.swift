import Logging
import Switchyard
import SwitchyardContract
import SwitchyardKafka
import Testing

/// Contract case 5 when the group's second consumer joins after the first has taken the first
/// messages, as happens on a busy machine: the late consumer gets its share of what is sent after it
/// joined, and nothing is lost.
@Suite(.serialized)
struct KafkaLateJoinTests {
    /// A Kafka client whose second and later consumers reach the group only after `delay`.
    private final class LateJoiningBackend: MessagingBackend {
        let base: KafkaBackend
        let delay: Duration
        private let made = LockedValue(0)

        init(base: KafkaBackend, delay: Duration) {
            self.base = base
            self.delay = delay
        }

        var name: String { base.name }
        var capabilities: BackendCapabilities { base.capabilities }
        var limits: BackendLimits { base.limits }

        func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
            try await base.ensureTopic(spec)
        }

        func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
            try await base.makeProducerDriver(options: options, logger: logger)
        }

        func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
            let index = made.withLock { count in
                count += 1
                return count
            }
            guard index > 1 else { return try await base.makeConsumerDriver(topic: topic, options: options, logger: logger) }
            return LateConsumerDriver(delay: delay) { [base] () throws(SwitchyardError) in
                try await base.makeConsumerDriver(topic: topic, options: options, logger: logger)
            }
        }

        func shutdown() async throws(SwitchyardError) {
            try await base.shutdown()
        }
    }

    /// A consumer returned at once that joins its group only after `delay`, past the mock cluster's 3 s
    /// initial rebalance delay, so the first consumer forms the group alone and takes every partition.
    private final class LateConsumerDriver: ConsumerDriver {
        private let joining: Task<any ConsumerDriver, any Error>
        private let joined = LockedValue<(any ConsumerDriver)?>(nil)

        init(delay: Duration, make: @escaping @Sendable () async throws(SwitchyardError) -> any ConsumerDriver) {
            joining = Task { [joined] in
                try? await Task.sleep(for: delay)
                let driver = try await make()
                joined.withLock { $0 = driver }
                return driver
            }
        }

        func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
            try await joining.value.receive(maxMessages: maxMessages)
        }

        func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
            try await driver().ack(token)
        }

        func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
            try await driver().requeue(token)
        }

        func release(_ tokens: [DeliveryToken]) {
            joined.withLock { $0 }?.release(tokens)
        }

        func close() async throws(SwitchyardError) {
            try await driver().close()
        }

        private func driver() async throws(SwitchyardError) -> any ConsumerDriver {
            do {
                return try await joining.value
            } catch let error as SwitchyardError {
                throw error
            } catch {
                throw SwitchyardError(.internalError, "The late consumer could not be made: \(error)")
            }
        }
    }

    @Test func aConsumerJoiningAfterTheFirstTookEveryPartitionStillGetsItsShare() async throws {
        let quiet = Logger(label: "test.kafka.late", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = try await KafkaMockCluster.start(brokers: 3, logger: quiet)
        let configuration = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            properties: KafkaMockCluster.clientProperties
        )
        let harness = ContractHarness(
            namePrefix: "kafka-late",
            caseTimeLimit: .seconds(120),
            waitTimeLimit: .seconds(30),
            quietPeriod: .seconds(1),
            makeBackend: {
                LateJoiningBackend(base: KafkaBackend(configuration: configuration, mockCluster: cluster, logger: quiet), delay: .seconds(4))
            }
        )
        let outcome = try await ContractSuite(harness: harness).run(.competingConsumers)
        print("Kafka late join, contract case 5 notes: \(outcome.notes.joined(separator: " "))")
        #expect(outcome.result == .proved)
        await cluster.shutdown()
    }
}
