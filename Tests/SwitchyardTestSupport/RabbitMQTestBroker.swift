import Foundation

/// The local rabbitmq-server that tests of several targets need. Tests that use it fail, not skip, when
/// it is missing: the test command installs and starts it.
///
/// Each test process works in a virtual host of its own, created on first use and named
/// `switchyard-test-<unix seconds>-<random>`; such virtual hosts left by runs over an hour old are
/// deleted first, so durable queues do not pile up. Younger ones are left alone: another test process
/// may be using its own.
public enum RabbitMQTestBroker {
    /// The broker's host: `SWITCHYARD_TEST_RABBITMQ_HOST`, or the loopback address.
    public static let host = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_RABBITMQ_HOST"] ?? "127.0.0.1"
    public static let port = 5672

    /// The URL of this process's virtual host, as the guest user.
    public static func url() async throws -> String {
        let vhost = try await VirtualHost.shared.name()
        return "amqp://guest:guest@\(host):\(port)/\(vhost)"
    }

    /// Runs `rabbitmqctl` with `arguments` off the caller's thread, and throws unless it succeeds within
    /// two minutes (stopping or starting the broker application can take a while on a busy machine).
    @discardableResult
    public static func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run("/usr/sbin/rabbitmqctl", arguments, within: .seconds(120))
        guard result.termination.succeeded else {
            throw RabbitMQSetupError(description: "rabbitmqctl \(arguments.joined(separator: " ")) ended with \(result.termination): \(result.output)\(result.errors)")
        }
        return result.output
    }
}

/// The broker could not be prepared for a test.
public struct RabbitMQSetupError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// Creates this process's virtual host once.
private actor VirtualHost {
    static let shared = VirtualHost()
    private static let prefix = "switchyard-test-"
    private static let staleAfterSeconds = 3600
    private var created: String?

    func name() async throws -> String {
        if let created { return created }
        let now = Int(Date().timeIntervalSince1970)
        let listed = try await RabbitMQTestBroker.rabbitmqctl(["list_vhosts", "--quiet", "--no-table-headers"])
        for old in listed.split(separator: "\n").map(String.init) where old.hasPrefix(Self.prefix) {
            let fields = old.dropFirst(Self.prefix.count).split(separator: "-")
            guard fields.count == 2, let createdAt = Int(fields[0]), now - createdAt > Self.staleAfterSeconds else { continue }
            // One that cannot be deleted now is tried again next run.
            _ = try? await RabbitMQTestBroker.rabbitmqctl(["delete_vhost", old])
        }
        let name = Self.prefix + "\(now)-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await RabbitMQTestBroker.rabbitmqctl(["add_vhost", name])
        try await RabbitMQTestBroker.rabbitmqctl(["set_permissions", "-p", name, "guest", ".*", ".*", ".*"])
        created = name
        return name
    }
}
