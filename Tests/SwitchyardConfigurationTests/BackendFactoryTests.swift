import Logging
import Switchyard
import SwitchyardInMemory
import SwitchyardRabbitMQ
import Testing

@testable import SwitchyardConfiguration

@Suite struct BackendFactoryTests {
    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func inMemoryIsTheProcessWideSharedBroker() async throws {
        let backend = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        let again = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        #expect(backend.name == "inmemory")
        #expect((backend as? InMemoryBackend) === (again as? InMemoryBackend))
        #expect((backend as? InMemoryBackend) === InMemoryBackend.shared(named: BackendFactory.sharedInMemoryBrokerName))
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

    @Test(arguments: [SwitchyardSettings.Backend.kafka, .dual])
    func backendsNotInThisBuildAreUnsupported(_ kind: SwitchyardSettings.Backend) async {
        var settings = SwitchyardSettings()
        settings.backend = kind
        do {
            _ = try await BackendFactory.makeBackend(settings, logger: logger)
            Issue.record("Expected an error for \(kind)")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("The \(kind.rawValue) backend is not available in this build yet"))
        }
    }
}
