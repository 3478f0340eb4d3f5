import Foundation
import Switchyard
import SwitchyardRabbitMQ
import SwitchyardTestSupport
import Testing

/// The local rabbitmq-server these tests need. Tests that use it fail, not skip, when it is missing.
///
/// Each test run works in a virtual host of its own, created here and named `switchyard-test-<random>`;
/// the virtual hosts of earlier runs are deleted first, so durable queues do not pile up.
enum TestBroker {
    static let host = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_RABBITMQ_HOST"] ?? "127.0.0.1"
    static let port = 5672

    /// The URL of this run's virtual host, created on first use.
    static func url() async throws -> String {
        let vhost = try await VirtualHost.shared.name()
        return "amqp://guest:guest@\(host):\(port)/\(vhost)"
    }

    /// A backend on this run's virtual host.
    static func backend(queueType: RabbitMQBackend.QueueType = .quorum, confirmWindow: Int = 1000) async throws -> RabbitMQBackend {
        let endpoint = try RabbitMQEndpoint(url: try await url())
        return try RabbitMQBackend(configuration: .init(endpoint: endpoint, queueType: queueType, confirmWindow: confirmWindow, heartbeat: .seconds(5)))
    }

    /// Runs `rabbitmqctl` with `arguments` without blocking the caller's thread, and throws unless it
    /// succeeds within two minutes (stopping or starting the broker application can take a while on a
    /// busy machine).
    @discardableResult
    static func rabbitmqctl(_ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run("/usr/sbin/rabbitmqctl", arguments, within: .seconds(120))
        guard result.termination.succeeded else {
            throw BrokerSetupError(description: "rabbitmqctl \(arguments.joined(separator: " ")) ended with \(result.termination): \(result.output)\(result.errors)")
        }
        return result.output
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

struct BrokerSetupError: Error, CustomStringConvertible {
    let description: String
}

/// Creates this run's virtual host once.
///
/// Its name carries its creation time, `switchyard-test-<unix seconds>-<random>`, and only such
/// virtual hosts older than an hour are deleted: other test runs may share the broker, and deleting
/// their virtual host would break them mid-run.
private actor VirtualHost {
    static let shared = VirtualHost()
    private static let prefix = "switchyard-test-"
    private static let staleAfterSeconds = 3600
    private var created: String?

    func name() async throws -> String {
        if let created { return created }
        let now = Int(Date().timeIntervalSince1970)
        let listed = try await TestBroker.rabbitmqctl("list_vhosts", "--quiet", "--no-table-headers")
        for old in listed.split(separator: "\n").map(String.init) where old.hasPrefix(Self.prefix) {
            let fields = old.dropFirst(Self.prefix.count).split(separator: "-")
            guard fields.count == 2, let createdAt = Int(fields[0]), now - createdAt > Self.staleAfterSeconds else { continue }
            // One that cannot be deleted now is tried again next run.
            _ = try? await TestBroker.rabbitmqctl("delete_vhost", old)
        }
        let name = Self.prefix + "\(now)-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await TestBroker.rabbitmqctl("add_vhost", name)
        try await TestBroker.rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        created = name
        return name
    }
}
