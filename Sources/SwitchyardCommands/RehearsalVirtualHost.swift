import Foundation
import Logging
import SwitchyardBench

/// A RabbitMQ virtual host of the rehearsal's own, made and removed with `rabbitmqctl` on the local
/// broker, so a run leaves no queue behind.
struct RehearsalVirtualHost: Sendable {
    let name: String

    /// Creates `name` and lets `user` use it. Returns `nil`, having logged why, when `rabbitmqctl` is
    /// missing or refuses (not allowed to, or no local broker).
    static func create(_ name: String, user: String, logger: Logger) async -> RehearsalVirtualHost? {
        do {
            try await rabbitmqctl(["add_vhost", name])
            try await rabbitmqctl(["set_permissions", "-p", name, user, ".*", ".*", ".*"])
            return RehearsalVirtualHost(name: name)
        } catch {
            logger.warning("Could not create a virtual host with rabbitmqctl", metadata: ["vhost": "\(name)", "error": "\(error)"])
            _ = try? await rabbitmqctl(["delete_vhost", name])
            return nil
        }
    }

    /// Deletes the virtual host with every queue in it.
    func delete() async throws {
        try await Self.rabbitmqctl(["delete_vhost", name])
    }

    private struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `rabbitmqctl` from the `PATH` (or /usr/sbin) without blocking the caller's thread.
    private static func rabbitmqctl(_ arguments: [String]) async throws {
        let outcome = try await ChildProgram.run("rabbitmqctl", ["--quiet"] + arguments, searchPath: ["/usr/sbin", "/usr/lib/rabbitmq/bin"])
        guard outcome.status == 0 else {
            throw Failure(description: "rabbitmqctl \(arguments.joined(separator: " ")) exited with \(outcome.status): \(outcome.errorText)")
        }
    }
}
