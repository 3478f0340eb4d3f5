import Logging
import Switchyard
import SwitchyardInMemory
import SwitchyardKafka
import SwitchyardRabbitMQ
import SwitchyardTestSupport
import Testing

/// The backends the gateway's grpcio tests run on: in-memory; Kafka, on an in-process librdkafka mock
/// cluster; and RabbitMQ, on the local rabbitmq-server in this run's virtual host. Without the broker
/// the RabbitMQ cases fail: the test command starts it. Each accepts at most ``maxMessageBytes`` per
/// message, Kafka's default.
enum GatewayTestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory
    case kafka
    case rabbitMQ

    var testDescription: String { rawValue }

    /// The largest message each backend accepts here, in bytes.
    static let maxMessageBytes = 1_000_000

    private static let quiet = Logger(label: "gateway-test-backend", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a fresh backend of this kind, and shuts it down afterwards.
    func run(_ body: (any MessagingBackend) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            try await Self.run(InMemoryBackend(configuration: .init(maxMessageBytes: Self.maxMessageBytes)), body)
        case .kafka:
            let cluster = try await KafkaMockCluster.start(brokers: 1, logger: Self.quiet)
            let backend = KafkaBackend(
                configuration: KafkaConfiguration(
                    bootstrapServers: cluster.bootstrapServers, properties: KafkaMockCluster.clientProperties, maxMessageBytes: Self.maxMessageBytes
                ),
                mockCluster: cluster,
                logger: Self.quiet
            )
            do {
                try await Self.run(backend, body)
            } catch {
                await cluster.shutdown()
                throw error
            }
            await cluster.shutdown()
        case .rabbitMQ:
            let endpoint = try RabbitMQEndpoint(url: try await RabbitMQTestBroker.url())
            try await Self.run(try RabbitMQBackend(configuration: .init(endpoint: endpoint, maxMessageBytes: Self.maxMessageBytes)), body)
        }
    }

    private static func run(_ backend: any MessagingBackend, _ body: (any MessagingBackend) async throws -> Void) async throws {
        do {
            try await body(backend)
        } catch {
            try? await backend.shutdown()
            throw error
        }
        try await backend.shutdown()
    }
}
