import Foundation
import Logging

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"].map { $0 + ":" } ?? "") + "/usr/sbin:/usr/lib/rabbitmq/bin"
        process.environment = environment
        process.arguments = ["rabbitmqctl", "--quiet"] + arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "rabbitmqctl \(arguments.joined(separator: " ")) exited with \(status): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
