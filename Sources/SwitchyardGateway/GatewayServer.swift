import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import Switchyard

/// The Switchyard gRPC gateway: streams a backend's topics to end users, and publishes to it for them.
///
/// It serves `switchyard.v1.Gateway` (Subscribe, Session, Publish) and the standard `grpc.health.v1`
/// health service on one HTTP/2 listener, in plaintext or TLS.
///
/// Each topic is consumed once per gateway, in a private group from the moment it starts, and fanned out
/// to bounded subscriber queues (see ``GatewayLimits``), so instances share no state: to scale out, run
/// more of them behind a load balancer, each reading the broker.
///
/// It is a ServiceLifecycle `Service`. On graceful shutdown it stops accepting calls, reports
/// `NOT_SERVING`, ends every stream with `UNAVAILABLE` (which tells clients to reconnect, and to resume
/// from their last position), then closes its consumers and its producer. ``run()`` returns once all of
/// that is done.
public final class GatewayServer: Service, Sendable {
    private let configuration: GatewayConfiguration
    private let transport: HTTP2ServerTransport.Posix
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let hubs: TopicHubs
    private let publisher: GatewayPublisher
    private let shutdown = OneShotSignal()
    private let logger: Logger

    /// Creates a gateway over `backend`. Nothing listens until ``run()``.
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` for a limit below 1, a host that is not a
    ///   numeric address or `localhost`, or a TLS file that cannot be read.
    public init(backend: any MessagingBackend, configuration: GatewayConfiguration, logger: Logger) throws(SwitchyardError) {
        try configuration.limits.validate()
        self.configuration = configuration
        self.logger = logger
        hubs = TopicHubs(backend: backend, limits: configuration.limits, logger: logger)
        publisher = GatewayPublisher(backend: backend, maxPayloadBytes: configuration.limits.maxRequestBytes, logger: logger)
        transport = HTTP2ServerTransport.Posix(
            address: try Self.socketAddress(configuration.listen),
            transportSecurity: try Self.transportSecurity(configuration.tls),
            config: .defaults { config in
                config.http2.maxConcurrentStreams = configuration.limits.maxStreamsPerConnection
                config.rpc.maxRequestPayloadSize = configuration.limits.maxRequestBytes + GatewayLimits.requestEnvelopeBytes
            }
        )
        let gateway = GatewayService(
            hubs: hubs,
            publisher: publisher,
            tokens: configuration.accessTokens,
            limits: configuration.limits,
            shutdown: shutdown
        )
        server = GRPCServer(transport: transport, services: [gateway, HealthService(shutdown: shutdown)])
    }

    /// The address the gateway listens on, once it does; with port 0, the port the system picked.
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` when the address could not be bound.
    public var listeningAddress: GatewayAddress {
        get async throws(SwitchyardError) {
            do {
                let address = try await transport.listeningAddress
                if let ipv4 = address.ipv4 { return GatewayAddress(host: ipv4.host, port: ipv4.port) }
                if let ipv6 = address.ipv6 { return GatewayAddress(host: ipv6.host, port: ipv6.port) }
                return configuration.listen
            } catch {
                throw bindError(error)
            }
        }
    }

    /// Serves until graceful shutdown, then shuts down as described above.
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` when the address cannot be bound (for
    ///   example, the port is in use), naming the address.
    public func run() async throws {
        for topic in configuration.topics {
            do {
                _ = try await hubs.hub(for: topic)
            } catch {
                throw SwitchyardError(.invalidConfiguration, "the gateway cannot start topic '\(topic)': \(error.message)")
            }
        }
        logger.info(
            "gateway starting",
            metadata: [
                "listen": "\(configuration.listen)", "tls": "\(configuration.tls != nil)",
                "tokens": "\(configuration.accessTokens)",
            ]
        )
        do {
            try await withGracefulShutdownHandler {
                try await server.serve()
            } onGracefulShutdown: {
                self.beginShutdown()
            }
        } catch {
            await finishShutdown()
            throw bindError(error)
        }
        await finishShutdown()
    }

    /// Begins shutdown without a ServiceLifecycle group: what a graceful shutdown signal does.
    ///
    /// Every open stream races this signal and ends with `UNAVAILABLE`; ``run()`` then closes the hubs
    /// and the producer once the server has stopped.
    public func beginShutdown() {
        shutdown.fire()
        server.beginGracefulShutdown()
    }

    private func finishShutdown() async {
        shutdown.fire()
        await hubs.close(
            RPCError(code: .unavailable, message: "the gateway is shutting down; reconnect and resume from your last position")
        )
        await publisher.close()
    }

    private func bindError(_ error: any Error) -> SwitchyardError {
        if let error = error as? SwitchyardError { return error }
        return SwitchyardError(
            .invalidConfiguration,
            "the gateway cannot listen on \(configuration.listen): \(error); is the port in use? Pick another with --listen HOST:PORT (port 0 picks a free one)",
            underlyingError: error
        )
    }

    private static func socketAddress(_ address: GatewayAddress) throws(SwitchyardError) -> GRPCNIOTransportCore.SocketAddress {
        let host = address.host == "localhost" ? "127.0.0.1" : address.host
        let isIPv4 = host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        if isIPv4 { return .ipv4(host: host, port: address.port) }
        if host.contains(":") { return .ipv6(host: host, port: address.port) }
        throw SwitchyardError(
            .invalidConfiguration,
            "the gateway listens on a numeric address or localhost, not '\(address.host)'; use 0.0.0.0 for every interface"
        )
    }

    private static func transportSecurity(_ tls: GatewayTLS?) throws(SwitchyardError) -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        for (name, path) in [("certificate", tls.certificateChainPath), ("key", tls.privateKeyPath), ("client CA", tls.clientCAPath ?? "")]
        where !path.isEmpty && !FileManager.default.isReadableFile(atPath: path) {
            throw SwitchyardError(.invalidConfiguration, "the gateway's TLS \(name) file '\(path)' cannot be read")
        }
        let chain: [TLSConfig.CertificateSource] = [.file(path: tls.certificateChainPath, format: .pem)]
        let key: TLSConfig.PrivateKeySource = .file(path: tls.privateKeyPath, format: .pem)
        guard let clientCA = tls.clientCAPath else {
            return .tls(certificateChain: chain, privateKey: key)
        }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.clientCertificateVerification = .noHostnameVerification
            config.trustRoots = .certificates([.file(path: clientCA, format: .pem)])
        }
    }
}
