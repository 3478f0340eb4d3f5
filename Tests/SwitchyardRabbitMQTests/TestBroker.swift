import Switchyard
import SwitchyardRabbitMQ
import SwitchyardTestSupport
import Testing

/// The local rabbitmq-server these tests need, in this run's virtual host (``RabbitMQTestBroker``).
enum TestBroker {
    static let host = RabbitMQTestBroker.host
    static let port = RabbitMQTestBroker.port

    /// The URL of this run's virtual host.
    static func url() async throws -> String {
        try await RabbitMQTestBroker.url()
    }

    /// A backend on this run's virtual host.
    static func backend(queueType: RabbitMQBackend.QueueType = .quorum, confirmWindow: Int = 1000) async throws -> RabbitMQBackend {
        let endpoint = try RabbitMQEndpoint(url: try await url())
        return try RabbitMQBackend(configuration: .init(endpoint: endpoint, queueType: queueType, confirmWindow: confirmWindow, heartbeat: .seconds(5)))
    }

    /// Runs `rabbitmqctl` with `arguments`; see ``RabbitMQTestBroker/rabbitmqctl(_:)``.
    @discardableResult
    static func rabbitmqctl(_ arguments: String...) async throws -> String {
        try await RabbitMQTestBroker.rabbitmqctl(arguments)
    }

    /// Stops and starts the broker application, then waits until it accepts connections again.
    static func restart() async throws {
        try await rabbitmqctl("stop_app")
        try await rabbitmqctl("start_app")
        let probe = try await backend()
        try await eventually("the restarted broker accepting connections", within: .seconds(30), pollingEvery: .milliseconds(200)) {
            (try? await probe.ensureTopic(TopicSpec(name: "restart-probe"))) != nil
        }
    }
}

/// Every suite that uses the broker, run one after another: a fault test restarts the broker, which
/// would break any test running beside it.
@Suite(.serialized)
enum BrokerTests {}
