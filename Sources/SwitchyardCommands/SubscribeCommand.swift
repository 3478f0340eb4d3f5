import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Switchyard
import SwitchyardGateway

/// `switchyard subscribe`: a gateway client that prints what it receives, the way `consume` does.
public struct SubscribeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Subscribe to a topic through a Switchyard gateway and print what arrives.",
        discussion: """
            Prints one line per message, as consume does, with the gateway position (Base64) in place of \
            the broker's; pass it back with --resume to continue after that message. The token comes \
            from --token-file or SWITCHYARD_GATEWAY_TOKEN and is sent as 'authorization: Bearer'. A \
            status that ends the stream (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, \
            UNAVAILABLE) is printed to standard error and the exit status is 1.
            """
    )

    /// Where the subscription starts.
    public enum From: String, CaseIterable, Sendable, ExpressibleByArgument {
        case latest
        case earliest
    }

    /// What the gateway does when this client falls behind.
    public enum Mode: String, CaseIterable, Sendable, ExpressibleByArgument {
        case conflated
        case every
    }

    @Option(help: ArgumentHelp("The gateway's address.", valueName: "host:port"))
    public var gateway: String = "127.0.0.1:50051"

    @Option(help: "The topic.")
    public var topic: String

    @Option(name: .customLong("key"), help: "Receive only this key (repeatable); without it, every key.")
    public var keys: [String] = []

    @Option(help: "latest or earliest (the oldest message in the gateway's replay window).")
    public var from: From = .latest

    @Option(help: ArgumentHelp("Continue after this position (as printed).", valueName: "base64"))
    public var resume: String?

    @Option(help: "conflated (keep the latest per key when behind) or every (end the stream when behind).")
    public var mode: Mode = .conflated

    @Flag(help: "First receive the latest message per key.")
    public var snapshot = false

    @Option(help: "Stop after this many messages.")
    public var count: Int?

    @Option(help: "text or json.")
    public var format: MessageFormat = .text

    @Option(help: ArgumentHelp("A file holding the bearer token.", valueName: "file"))
    public var tokenFile: String?

    @Option(help: ArgumentHelp("Use TLS, trusting this PEM CA; the gateway's certificate must name its host.", valueName: "file"))
    public var tlsCa: String?

    public init() {}

    public func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if let resume, Data(base64Encoded: resume) == nil { throw ValidationError("--resume takes a position as printed (Base64).") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Subscribes and prints until `--count` messages arrived, the stream ends, or a shutdown signal.
    public func run(io: CommandIO) async throws {
        let address = try GatewayAddress(parsing: gateway)
        var metadata: Metadata = [:]
        if let token = try readToken(environment: io.environment) { metadata.addString("Bearer \(token)", forKey: "authorization") }
        var request = Switchyard_V1_SubscribeRequest()
        request.topic = topic
        request.keys = keys.map { Data($0.utf8) }
        request.start = from == .earliest ? .earliest : .latest
        if let resume, let position = Data(base64Encoded: resume) {
            request.start = .position
            request.resumeFrom = position
        }
        request.mode = mode == .every ? .everyMessage : .conflated
        request.snapshot = snapshot
        let security: HTTP2ClientTransport.Posix.TransportSecurity =
            if let tlsCa {
                .tls { config in
                    config.trustRoots = .certificates([.file(path: tlsCa, format: .pem)])
                }
            } else {
                .plaintext
            }
        let transport = try HTTP2ClientTransport.Posix(
            target: address.host.contains(":") ? .ipv6(address: address.host, port: address.port) : .dns(host: address.host, port: address.port),
            transportSecurity: security
        )
        let (printed, stopped) = try await io.runUntilShutdown(logger: SinkLogHandler.logger(level: .warning, sink: io.errors)) {
            [request, metadata, count, format, topic, output = io.output, errors = io.errors] in
            try await withGRPCClient(transport: transport) { client in
                let gateway = Switchyard_V1_Gateway.Client(wrapping: client)
                return try await gateway.subscribe(request: ClientRequest(message: request, metadata: metadata)) { response in
                    var printed = 0
                    do {
                        for try await event in response.messages {
                            guard case .batch(let batch) = event.event else {
                                if case .started(let started) = event.event, started.recovery == .gapNotRecovered {
                                    errors.write("subscribe: gap not recovered: \(started.detail)\n")
                                }
                                continue
                            }
                            for message in batch.messages {
                                output.write(format.render(Message(message), topic: topic, details: Self.details(message, snapshot: batch.snapshot)))
                                printed += 1
                                if let count, printed >= count { return printed }
                            }
                        }
                    } catch is CancellationError {
                        return printed
                    }
                    return printed
                }
            }
        }
        io.errors.write("subscribe: \(printed) message\(printed == 1 ? "" : "s") from '\(topic)'\(stopped ? " (stopped on request)" : "")\n")
    }

    private static func details(_ message: Switchyard_V1_GatewayMessage, snapshot: Bool) -> [MessageDetail] {
        var details = [MessageDetail(name: "position", value: message.position.base64EncodedString(), isJSONLiteral: false)]
        if snapshot { details.append(MessageDetail(name: "snapshot", value: "true", isJSONLiteral: true)) }
        return details
    }

    private func readToken(environment: [String: String]) throws(SwitchyardError) -> String? {
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw SwitchyardError(.invalidConfiguration, "the token file '\(tokenFile)' cannot be read")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return environment["SWITCHYARD_GATEWAY_TOKEN"]
    }
}
