import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Switchyard
import SwitchyardGateway

/// The demo's delivery half: a gateway on the demo's backend, and one gRPC client subscribed to every
/// price through it, counting what it receives the way an end user's app would.
///
/// The gateway starts consuming the topic before the feed publishes, so every price the feed sends is in
/// its stream; the client asks for every message from the start of that stream.
struct DemoGateway {
    private let server: GatewayServer
    private let serving: Task<Void, any Error>
    private let client: Task<Void, any Error>
    private let received: LockedValue<Set<String>>

    /// Starts the gateway on a free loopback port with `topic` consumed at once, and the client.
    static func start(backend: any MessagingBackend, topic: TopicSpec, logger: Logger) async throws -> DemoGateway {
        try await backend.ensureTopic(topic)
        var limits = GatewayLimits()
        limits.subscriberQueueCapacity = 1 << 16
        let server = try GatewayServer(
            backend: backend,
            configuration: GatewayConfiguration(listen: GatewayAddress(host: "127.0.0.1", port: 0), limits: limits, topics: [topic.name]),
            logger: logger
        )
        let serving = Task { try await server.run() }
        let address = try await server.listeningAddress
        let received = LockedValue(Set<String>())
        let client = Task {
            try await withGRPCClient(
                transport: .http2NIOPosix(target: .ipv4(address: address.host, port: address.port), transportSecurity: .plaintext)
            ) { grpc in
                var request = Switchyard_V1_SubscribeRequest()
                request.topic = topic.name
                request.mode = .everyMessage
                // The hub consumes from the moment the gateway starts; starting from its replay window
                // gets every price even if this subscription attaches after the feed began.
                request.start = .earliest
                try await Switchyard_V1_Gateway.Client(wrapping: grpc).subscribe(request: ClientRequest(message: request)) { response in
                    for try await event in response.messages {
                        switch event.event {
                        case .batch(let batch): received.withLock { ids in ids.formUnion(batch.messages.map(\.id)) }
                        case .started, nil: break
                        }
                    }
                }
            }
        }
        logger.info("Demo gateway serving", metadata: ["address": "\(address)"])
        return DemoGateway(server: server, serving: serving, client: client, received: received)
    }

    /// How many distinct messages the client has received.
    var delivered: Int { received.withLock { $0.count } }

    /// Waits until the client has `published` messages or `timeout` passes, then stops the client and the
    /// gateway. Returns how many it delivered.
    func finish(published: Int, timeout: Duration) async -> Int {
        let deadline = ContinuousClock.now + timeout
        while delivered < published, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        client.cancel()
        _ = try? await client.value
        server.beginShutdown()
        _ = try? await serving.value
        return delivered
    }
}
