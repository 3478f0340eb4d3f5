import Logging
import Switchyard

/// The Kafka backend, over librdkafka.
///
/// Producers send with `acks=all`, idempotence on and the `murmur2_random` partitioner, so keys land on
/// the same partitions as with Java clients; a send returns on its delivery report. Consumers join a
/// consumer group and commit only the contiguous acked prefix of each partition: asynchronously within
/// ``KafkaConfiguration/commitInterval`` (50 ms) of the acks, and synchronously on every revoke and on
/// close, so nothing acked is lost and nothing unacked is skipped. Fetching pauses while a consumer
/// holds its prefetch, and closing a consumer leaves its group at once. Consumers set `fetch.wait.max.ms`
/// to 10 ms rather than librdkafka's 500, so a broker holding a fetch for want of new data answers
/// quickly; `kafka.properties.fetch.wait.max.ms` overrides it.
///
/// Making a consumer returns once the cluster answers and the subscription is made; the group assigns
/// partitions a little later (about 3 s for a new group on the mock cluster), so a consumer starting at
/// `latest` sees only messages sent after that. When a rebalance takes partitions away, the consumer
/// hands out nothing more from them and waits up to ``KafkaConfiguration/revokeGracePeriod`` for the
/// deliveries already out to be settled, then commits and lets the partitions go. If the group refuses
/// that commit (the mock cluster refuses every commit while the group rebalances), the progress is
/// carried over: a partition given straight back resumes after it. A partition that moves to another
/// member is delivered there from the group's committed offset, so what was acked but not committed
/// comes again (at-least-once; the contract suite counts these redeliveries).
///
/// Rebalances use librdkafka's default eager protocol. `kafka.properties.partition.assignment.strategy`
/// may choose `cooperative-sticky`, which the consumer supports (partitions that stay are not revoked,
/// and the revoke commit happens while the group accepts commits), but it is not the default: with
/// librdkafka before 2.3.0 (Debian 12 ships 2.0.2) that assignor can crash the process when a consumer
/// closes before its first assignment (librdkafka issue 4312).
///
/// `nack(requeue:)` redelivers the message from the consumer's own memory, ahead of newer messages,
/// with its attempt count raised; its offset stays uncommitted meanwhile, so if the consumer goes away
/// first, the partition's next owner fetches it again, with the count starting over. Attempt counts are
/// therefore exact only within one consumer, and the backend does not claim `deliveryAttemptCount`.
/// Dead-lettering produces the message to `<topic>.dlq`.
///
/// Against a ``KafkaMockCluster``, topics are created through the mock's own API and the backend does
/// not claim `persistent`, since the mock keeps its data in memory. Against a real cluster, topics are
/// created with the CreateTopics admin API.
public final class KafkaBackend: MessagingBackend {
    public let configuration: KafkaConfiguration
    public var name: String { "kafka" }
    public let capabilities: BackendCapabilities
    public var limits: BackendLimits {
        BackendLimits(maxMessageBytes: configuration.maxMessageBytes, maxMessageBytesKey: "kafka.maxMessageBytes")
    }

    private let mockCluster: KafkaMockCluster?
    private let logger: Logger

    /// A client of the cluster at `configuration.bootstrapServers`. With `mockCluster`, which must be the
    /// cluster those servers belong to, topics are created through the mock's API.
    public init(
        configuration: KafkaConfiguration,
        mockCluster: KafkaMockCluster? = nil,
        logger: Logger = Logger(label: "switchyard.kafka")
    ) {
        self.configuration = configuration
        self.mockCluster = mockCluster
        self.logger = logger
        var capabilities: BackendCapabilities = [.replay, .orderedPerKey, .competingConsumers, .deadLetter]
        if mockCluster == nil { capabilities.insert(.persistent) }
        if configuration.autoCreateTopics || mockCluster != nil { capabilities.insert(.autoCreateTopics) }
        self.capabilities = capabilities
    }

    /// Creates the topic with its partitions and replication factor; an existing topic is left as it
    /// is, even if its partition count differs. On a cluster the topic is looked up first, so an
    /// existing topic needs no CreateTopics request (which clusters such as `switchyard kafka-mock`
    /// do not serve).
    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try validate(spec)
        if let mockCluster {
            try await mockCluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: spec.replicationFactor)
        } else if try await KafkaTopicLookup.partitionCount(of: spec.name, configuration: configuration) == nil {
            try await RDKafkaAdmin.createTopic(spec, configuration: configuration, logger: logger)
        }
    }

    public func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        try KafkaProducerDriver(configuration: configuration, options: options, logger: logger)
    }

    public func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try await KafkaConsumerDriver.make(
            topic: topic, options: options, configuration: configuration, brokerFindsTimestamps: mockCluster == nil, logger: logger
        )
    }

    /// Each producer and consumer owns its connections and releases them when closed, so there is
    /// nothing left to release here.
    public func shutdown() async throws(SwitchyardError) {}
}
