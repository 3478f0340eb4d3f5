import Foundation
import Logging
import Switchyard
import SwitchyardGateway
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

/// A gateway served in this process on a free loopback port, by default on a fresh in-memory backend.
struct RunningGateway {
    let backend: any MessagingBackend
    let server: GatewayServer
    let address: GatewayAddress
    let serving: Task<Void, any Error>

    static func start(
        backend: any MessagingBackend = InMemoryBackend(),
        configure: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> RunningGateway {
        var configuration = GatewayConfiguration(listen: GatewayAddress(host: "127.0.0.1", port: 0))
        configure(&configuration)
        let server = try GatewayServer(
            backend: backend,
            configuration: configuration,
            logger: Logger(label: "gateway-test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let serving = Task { try await server.run() }
        let address = try await server.listeningAddress
        return RunningGateway(backend: backend, server: server, address: address, serving: serving)
    }

    /// Shuts the gateway down and waits for `run()` to return.
    func stop() async throws {
        server.beginShutdown()
        try await within(.seconds(20), "the gateway shutting down") { try await serving.value }
    }
}

/// Runs `gateway_peer.py`, the grpcio client beside this file, and decodes the JSON it prints last.
/// Needs `python3` with `grpcio`, `grpcio-tools` and `grpcio-health-checking`; fails without them.
enum GatewayPeer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("gateway_peer.py").path
    static let protoDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proto").path

    static func arguments(_ scenario: String, _ address: GatewayAddress, _ extra: [String]) -> [String] {
        [script, protoDirectory, scenario, "\(address)"] + extra
    }

    static func environment(token: String?, ca: String?, clientCertificate: (cert: String, key: String)? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GATEWAY_TOKEN"] = token
        environment["GATEWAY_CA"] = ca
        environment["GATEWAY_CLIENT_CERT"] = clientCertificate?.cert
        environment["GATEWAY_CLIENT_KEY"] = clientCertificate?.key
        return environment
    }

    static func run(
        _ scenario: String,
        _ address: GatewayAddress,
        _ extra: [String] = [],
        token: String? = nil,
        ca: String? = nil,
        clientCertificate: (cert: String, key: String)? = nil
    ) async throws -> [String: Any] {
        let finished = try await ChildProcess.run(
            "/usr/bin/env",
            ["python3"] + arguments(scenario, address, extra),
            environment: environment(token: token, ca: ca, clientCertificate: clientCertificate),
            within: .seconds(90)
        )
        #expect(finished.termination.succeeded, "gateway_peer.py \(scenario): \(finished.termination)\n\(finished.errors)")
        return try decode(finished.lines.last ?? "", scenario: scenario, errors: finished.errors)
    }

    static func decode(_ line: String, scenario: String, errors: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw PeerFailed(description: "gateway_peer.py \(scenario) printed no result: '\(line)'\n\(errors)")
        }
        return object
    }
}

struct PeerFailed: Error, CustomStringConvertible {
    let description: String
}
