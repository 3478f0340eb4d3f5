import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Switchyard
import SwitchyardGateway

/// `switchyard gateway`: serves the configured backend's topics to gRPC clients.
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Stream the backend's topics to gRPC clients (switchyard.v1.Gateway), and publish for them.",
        discussion: """
            The first line on standard output is 'listening on HOST:PORT', with the port actually bound \
            (--listen with port 0 picks a free one). Bearer tokens come from --token-file and from the \
            gateway.tokens setting (SWITCHYARD_GATEWAY_TOKENS, --set or the --config file), both written \
            TOKEN=TOPIC,TOPIC;TOKEN=TOPIC (a topic may be * or end in *); with none, the gateway is open \
            to every client. Tokens are never printed or \
            logged. Ctrl-C or SIGTERM shuts it down gracefully: it stops accepting calls, ends every \
            stream with UNAVAILABLE so that clients reconnect, then closes its consumers.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "host:port"))
    public var listen: String = "127.0.0.1:50051"

    @Option(help: ArgumentHelp("A PEM certificate chain; with --tls-key, the gateway serves TLS.", valueName: "file"))
    public var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    public var tlsKey: String?

    @Option(help: ArgumentHelp("A PEM CA that client certificates must chain to (mutual TLS).", valueName: "file"))
    public var tlsClientCa: String?

    @Option(help: ArgumentHelp("A file of bearer tokens and their topics: TOKEN=TOPIC,TOPIC per line.", valueName: "file"))
    public var tokenFile: String?

    @Option(name: .customLong("topic"), help: "A topic to start consuming at once, so its snapshot is warm (repeatable).")
    public var topics: [String] = []

    @Option(help: "Messages one subscriber may have queued before conflation or RESOURCE_EXHAUSTED.")
    public var queueCapacity: Int = GatewayLimits().subscriberQueueCapacity

    @Option(help: "Messages per topic kept for resume and START_FROM_EARLIEST.")
    public var replayWindow: Int = GatewayLimits().replayWindowMessages

    @Option(help: "Concurrent calls one HTTP/2 connection may have; further calls wait for one to end.")
    public var maxStreamsPerConnection: Int = GatewayLimits().maxStreamsPerConnection

    @Option(help: "Subscriptions one Session may have open; a further subscribe gets RESOURCE_EXHAUSTED.")
    public var maxSubscriptionsPerSession: Int = GatewayLimits().maxSubscriptionsPerSession

    @Option(help: ArgumentHelp("The largest payload a Publish request may carry; a larger one is answered with messageTooLarge.", valueName: "bytes"))
    public var maxRequestBytes: Int = GatewayLimits().maxRequestBytes

    public init() {}

    public func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together.") }
        if tlsClientCa != nil, tlsCert == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key.") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the gateway on `io` until a graceful shutdown signal.
    public func run(io: CommandIO) async throws {
        let fromFile = try tokenFile.map { path throws(SwitchyardError) in try readTokenFile(path) } ?? ""
        var limits = GatewayLimits()
        limits.subscriberQueueCapacity = queueCapacity
        limits.replayWindowMessages = replayWindow
        limits.maxStreamsPerConnection = maxStreamsPerConnection
        limits.maxSubscriptionsPerSession = maxSubscriptionsPerSession
        limits.maxRequestBytes = maxRequestBytes
        let listenAddress = try GatewayAddress(parsing: listen)
        try await CommandSession.run(global, io: io) { session in
            let configuration = GatewayConfiguration(
                listen: listenAddress,
                tls: tlsCert.map { GatewayTLS(certificateChainPath: $0, privateKeyPath: tlsKey ?? "", clientCAPath: tlsClientCa) },
                accessTokens: try AccessTokens(parsing: fromFile + "\n" + (session.settings.gateway.tokens ?? "")),
                limits: limits,
                topics: topics
            )
            for topic in topics { try await session.ensureTopicIfNeeded(topic) }
            let gateway = try GatewayServer(backend: session.client.backend, configuration: configuration, logger: session.logger)
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: gateway)],
                    gracefulShutdownSignals: io.gracefulShutdownSignals,
                    logger: session.logger
                )
            )
            try await withThrowingTaskGroup { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    let address = try await gateway.listeningAddress
                    io.output.write("listening on \(address)\n")
                }
                try await tasks.waitForAll()
            }
        }
    }

    private func readTokenFile(_ path: String) throws(SwitchyardError) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SwitchyardError(.invalidConfiguration, "the token file '\(path)' cannot be read")
        }
        return text
    }
}
