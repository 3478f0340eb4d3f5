/// How the Kafka backend reaches its cluster and how its clients behave.
///
/// ``properties`` pass through to librdkafka (CONFIGURATION.md names them), after Switchyard's own
/// defaults, so they can override any of them, compression and security settings included. The
/// description redacts every property that may hold a secret.
///
/// Consumers default `fetch.wait.max.ms` to 10 (librdkafka's default is 500): a broker with no new data
/// answers a fetch after at most that long, so a message sent to an idle partition is delivered within
/// about 10 ms rather than half a second. `properties["fetch.wait.max.ms"]` overrides it.
public struct KafkaConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// A comma-separated `host:port` list.
    public var bootstrapServers: String
    /// librdkafka properties applied to every producer, consumer and admin client.
    public var properties: [String: String]
    /// Whether the cluster creates a topic that is sent to before it exists. Only declare it when the
    /// brokers run with `auto.create.topics.enable=true`; otherwise sending to a missing topic fails with
    /// `topicNotFound`. A mock cluster always creates topics on demand, whatever this says.
    public var autoCreateTopics: Bool
    /// The largest message accepted, counting key, payload and headers. Keep it at or under the brokers'
    /// `message.max.bytes`; the default suits a broker left at its default.
    public var maxMessageBytes: Int
    /// The longest an acked offset waits to be committed: a consumer commits what its acks made final
    /// asynchronously, at most this often and only when acks moved it, so the acks of a burst share one
    /// commit and little acked work is left uncommitted when a rebalance starts. It also commits
    /// synchronously on every revoke and on close.
    public var commitInterval: Duration
    /// How long making a consumer waits to reach the cluster before failing with a retriable
    /// `brokerUnavailable`. Partitions are assigned later, once the group has rebalanced.
    public var connectTimeout: Duration
    /// How long a consumer losing partitions in a rebalance waits for the deliveries it handed out from
    /// them to be settled, before letting the partitions go; deliveries still unsettled then go to the
    /// partitions' new owner. Keep it well under `max.poll.interval.ms`.
    public var revokeGracePeriod: Duration
    /// How long an admin request (creating a topic) may take before failing with a retriable `timeout`.
    public var adminTimeout: Duration

    public init(
        bootstrapServers: String,
        properties: [String: String] = [:],
        autoCreateTopics: Bool = false,
        maxMessageBytes: Int = 1_000_000,
        commitInterval: Duration = .milliseconds(50),
        connectTimeout: Duration = .seconds(30),
        revokeGracePeriod: Duration = .seconds(10),
        adminTimeout: Duration = .seconds(10)
    ) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.autoCreateTopics = autoCreateTopics
        self.maxMessageBytes = maxMessageBytes
        self.commitInterval = commitInterval
        self.connectTimeout = connectTimeout
        self.revokeGracePeriod = revokeGracePeriod
        self.adminTimeout = adminTimeout
    }

    /// Whether a librdkafka property may hold a secret: passwords, keys, tokens, JAAS and OAuth settings.
    public static func isSecret(_ property: String) -> Bool {
        let name = property.lowercased()
        return ["password", "secret", "token", "jaas", "key.pem", "private.key", "oauthbearer.config", "keystore", "credentials"]
            .contains { name.contains($0) }
    }

    public var description: String {
        let shown = properties.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.isSecret($0.key) ? "<redacted>" : $0.value)" }
        return "kafka(bootstrapServers: \(bootstrapServers), properties: [\(shown.joined(separator: ", "))])"
    }

    /// The consumers' default `fetch.wait.max.ms`: the longest a broker holds a fetch while it has no new data.
    static let consumerFetchWaitMilliseconds = "10"

    /// Milliseconds for a librdkafka property, at least 1.
    static func milliseconds(_ duration: Duration) -> String {
        String(duration.timeoutMilliseconds)
    }

    /// The properties every client gets: the bootstrap servers, log lines as events, then the user's.
    func clientProperties(_ defaults: [(String, String)]) -> [(String, String)] {
        [("bootstrap.servers", bootstrapServers), ("log.queue", "true")] + defaults
            + properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
