import Switchyard

/// How a ``GatewayServer`` listens, secures its connections, and bounds its memory.
public struct GatewayConfiguration: Sendable {
    /// The address to listen on. Port 0 picks a free port; ``GatewayServer/listeningAddress`` tells which.
    public var listen: GatewayAddress
    /// TLS from PEM files; `nil` serves plaintext HTTP/2.
    public var tls: GatewayTLS?
    /// The bearer tokens the gateway accepts, each scoped to topics. With none, every call is allowed.
    public var accessTokens: AccessTokens
    /// The bounds on what one client, and all of them together, can make the gateway hold.
    public var limits: GatewayLimits
    /// Topics whose backend consumer starts with the gateway, so that their last-value snapshot and
    /// replay window are warm before the first subscriber. Other topics start on first subscription.
    public var topics: [String]

    /// Creates a configuration.
    public init(
        listen: GatewayAddress = GatewayAddress(host: "127.0.0.1", port: 50051),
        tls: GatewayTLS? = nil,
        accessTokens: AccessTokens = AccessTokens(),
        limits: GatewayLimits = GatewayLimits(),
        topics: [String] = []
    ) {
        self.listen = listen
        self.tls = tls
        self.accessTokens = accessTokens
        self.limits = limits
        self.topics = topics
    }
}

/// A host and port to listen on, written `HOST:PORT`, or `[IPv6]:PORT`.
public struct GatewayAddress: Sendable, Hashable, CustomStringConvertible {
    /// A numeric IPv4 or IPv6 address, or `localhost`.
    public var host: String
    /// The TCP port; 0 asks the system for a free one.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`.
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` naming the text when it is not of that form
    ///   or the port is outside 0...65535.
    public init(parsing text: String) throws(SwitchyardError) {
        let invalid = SwitchyardError(
            .invalidConfiguration,
            "'\(text)' is not a listen address: write HOST:PORT, such as 127.0.0.1:50051, 0.0.0.0:0 or [::1]:50051"
        )
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else { throw invalid }
        self.init(host: host, port: port)
    }

    /// `HOST:PORT`, with an IPv6 host in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// The gateway's certificate and key, and optionally a CA that client certificates must chain to.
public struct GatewayTLS: Sendable, Hashable {
    /// A PEM file with the server's certificate chain, leaf first.
    public var certificateChainPath: String
    /// A PEM file with the server's private key.
    public var privateKeyPath: String
    /// A PEM file with the CA certificates that sign client certificates. When set, every client must
    /// present a certificate that chains to one of them (mutual TLS).
    public var clientCAPath: String?

    /// Creates TLS settings from PEM file paths.
    public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }
}

/// The bounds on the gateway's memory and on what one client may open.
///
/// Whatever the clients do, the gateway holds at most, per topic, `replayWindowMessages` messages in its
/// replay window and `lastValueKeys` in its last-value cache, and per subscription `subscriberQueueCapacity`
/// messages (the replay and snapshot a subscription starts with are shared with the window and the cache).
public struct GatewayLimits: Sendable, Hashable {
    /// How many messages one subscription may have queued before its mode decides: conflate, or end the
    /// stream with `RESOURCE_EXHAUSTED`.
    public var subscriberQueueCapacity: Int
    /// How many of a topic's latest messages the gateway keeps for resume and `START_FROM_EARLIEST`.
    public var replayWindowMessages: Int
    /// How many distinct keys a topic's last-value cache holds; messages with further keys are streamed
    /// but not cached for snapshots.
    public var lastValueKeys: Int
    /// The most messages one response batch carries.
    public var maxBatchMessages: Int
    /// The most concurrent streams (calls) on one HTTP/2 connection.
    public var maxStreamsPerConnection: Int
    /// The most subscriptions open at once in one `Session`.
    public var maxSubscriptionsPerSession: Int
    /// The largest message payload a `Publish` request may carry, in bytes. A larger one is answered
    /// with `messageTooLarge` and the stream goes on. The transport refuses any request over this plus
    /// ``requestEnvelopeBytes`` by resetting its stream, so no request can make the gateway buffer more.
    public var maxRequestBytes: Int
    /// What a request may carry beyond its payload (topic, key, headers, id) before the transport
    /// refuses it.
    public static let requestEnvelopeBytes = 64 << 10

    /// Creates limits; the defaults suit a price feed of some thousand keys.
    public init(
        subscriberQueueCapacity: Int = 1024,
        replayWindowMessages: Int = 10_000,
        lastValueKeys: Int = 10_000,
        maxBatchMessages: Int = 256,
        maxStreamsPerConnection: Int = 100,
        maxSubscriptionsPerSession: Int = 100,
        maxRequestBytes: Int = 1 << 20
    ) {
        self.subscriberQueueCapacity = subscriberQueueCapacity
        self.replayWindowMessages = replayWindowMessages
        self.lastValueKeys = lastValueKeys
        self.maxBatchMessages = maxBatchMessages
        self.maxStreamsPerConnection = maxStreamsPerConnection
        self.maxSubscriptionsPerSession = maxSubscriptionsPerSession
        self.maxRequestBytes = maxRequestBytes
    }

    /// Checks that every limit is positive.
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` naming the first limit that is not.
    public func validate() throws(SwitchyardError) {
        let named: [(String, Int)] = [
            ("subscriberQueueCapacity", subscriberQueueCapacity), ("replayWindowMessages", replayWindowMessages),
            ("lastValueKeys", lastValueKeys), ("maxBatchMessages", maxBatchMessages),
            ("maxStreamsPerConnection", maxStreamsPerConnection),
            ("maxSubscriptionsPerSession", maxSubscriptionsPerSession), ("maxRequestBytes", maxRequestBytes),
        ]
        for (name, value) in named where value < 1 {
            throw SwitchyardError(.invalidConfiguration, "gateway limit \(name) is \(value); it must be at least 1")
        }
    }
}
