import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration
import SwitchyardInMemory
import SwitchyardKafka
import SwitchyardRabbitMQ
import Testing

@Suite struct BackendFactoryTests {
    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func inMemoryIsTheProcessWideSharedBroker() async throws {
        let backend = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        let again = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        #expect(backend.name == "inmemory")
        #expect((backend as? InMemoryBackend) === (again as? InMemoryBackend))
        #expect((backend as? InMemoryBackend) === InMemoryBackend.shared(named: BackendFactory.sharedInMemoryBrokerName))
    }

    @Test func kafkaIsBuiltFromTheBootstrapServersAndPassesPropertiesThrough() async throws {
        var settings = SwitchyardSettings()
        settings.backend = .kafka
        settings.kafka.bootstrapServers = ["one:9092", "two:9092"]
        settings.kafka.properties = ["compression.type": "zstd", "sasl.password": "hunter2"]
        let backend = try #require(try await BackendFactory.makeBackend(settings, logger: logger) as? KafkaBackend)
        #expect(backend.name == "kafka")
        #expect(backend.configuration.bootstrapServers == "one:9092,two:9092")
        #expect(backend.configuration.properties == settings.kafka.properties)
        #expect(backend.capabilities.contains(.persistent))
        #expect(!"\(backend.configuration)".contains("hunter2"))
        #expect("\(backend.configuration)".contains("compression.type=zstd"))
    }

    @Test func kafkaWithoutBootstrapServersIsAConfigurationError() async {
        var settings = SwitchyardSettings()
        settings.backend = .kafka
        settings.kafka.bootstrapServers = []
        await #expect(throws: SwitchyardError.self) { try await BackendFactory.makeBackend(settings, logger: logger) }
    }

    @Test(arguments: SwitchyardSettings.RabbitMQ.QueueType.allCases)
    func rabbitMQSettingsMakeARabbitMQBackend(_ queueType: SwitchyardSettings.RabbitMQ.QueueType) async throws {
        var settings = SwitchyardSettings()
        settings.backend = .rabbitmq
        settings.rabbitmq.url = "amqp://alice:s3cret@broker.example:5673/%2F"
        settings.rabbitmq.queueType = queueType
        let backend = try #require(try await BackendFactory.makeBackend(settings, logger: logger) as? RabbitMQBackend)
        #expect(backend.name == "rabbitmq")
        #expect(backend.configuration.queueType.rawValue == queueType.rawValue)
        #expect(backend.configuration.endpoint.host == "broker.example")
        #expect(backend.configuration.endpoint.port == 5673)
        #expect(backend.configuration.endpoint.virtualHost == "/")
        #expect(backend.capabilities.contains(.deliveryAttemptCount) == (queueType == .quorum))
        #expect(backend.capabilities.contains(.replay) == (queueType == .stream))
        #expect(backend.capabilities.contains(.competingConsumers) == (queueType != .stream))
    }

    @Test func aBadRabbitMQURLIsAnInvalidConfigurationThatHidesThePassword() async {
        var settings = SwitchyardSettings()
        settings.backend = .rabbitmq
        settings.rabbitmq.url = "amqp://alice:s3cret@broker.example:0/"
        do {
            _ = try await BackendFactory.makeBackend(settings, logger: logger)
            Issue.record("Expected an error for port 0")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(!error.message.contains("s3cret"))
        }
    }
}
