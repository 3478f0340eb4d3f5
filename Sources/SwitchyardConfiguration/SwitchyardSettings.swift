import Logging

/// Everything the `switchyard` tools can be configured with, after the layers (flags, `SWITCHYARD_*`
/// environment variables, configuration file, defaults) have been merged and validated.
///
/// A value built with `init()` holds the documented defaults. Every field has exactly one
/// configuration key; ``SettingKey/all`` lists them.
public struct SwitchyardSettings: Sendable, Hashable {
    /// Which broker to run on.
    public enum Backend: String, Sendable, Hashable, CaseIterable {
        case inmemory
        case kafka
        case rabbitmq
        case dual
    }

    /// The embedded in-memory broker.
    public struct InMemory: Sendable, Hashable {
        /// Partitions for topics created on demand.
        public var partitions: Int = 4
        /// Messages kept per partition; the oldest are dropped beyond it.
        public var retentionMessagesPerPartition: Int = 1_000_000
        /// The largest message accepted, key and headers included.
        public var maxMessageBytes: Int = 8 * 1024 * 1024
        /// Whether sending to a missing topic creates it.
        public var autoCreateTopics: Bool = true

        public init() {}
    }

    /// A Kafka cluster.
    public struct Kafka: Sendable, Hashable {
        /// `host:port` pairs to bootstrap from.
        public var bootstrapServers: [String] = ["localhost:9092"]
        /// librdkafka properties passed through unchanged, such as `sasl.mechanisms`.
        public var properties: [String: String] = [:]

        public init() {}
    }

    /// A RabbitMQ broker.
    public struct RabbitMQ: Sendable, Hashable {
        /// The queue type a consumer group's queue is declared with.
        public enum QueueType: String, Sendable, Hashable, CaseIterable {
            case classic
            case quorum
            case stream
        }

        /// `amqp://user:password@host:port/vhost`. Holds a credential.
        public var url: String = "amqp://guest:guest@localhost:5672/%2F"
        /// See ``QueueType``.
        public var queueType: QueueType = .quorum

        public init() {}
    }

    /// Dual-writing to two brokers during a migration.
    public struct Dual: Sendable, Hashable {
        /// A broker that can be one side of a dual write.
        public enum Side: String, Sendable, Hashable, CaseIterable {
            case inmemory
            case kafka
            case rabbitmq
        }

        /// Which side consumers read from.
        public enum ReadFrom: String, Sendable, Hashable, CaseIterable {
            case primary
            case secondary
        }

        /// The broker that must acknowledge every send.
        public var primary: Side = .rabbitmq
        /// The broker that receives a copy; failed copies are spooled and retried.
        public var secondary: Side = .kafka
        /// See ``ReadFrom``.
        public var readFrom: ReadFrom = .primary
        /// The directory of the durable spool for copies the secondary has not acknowledged.
        public var spool: String = "switchyard-spool"

        public init() {}
    }

    /// The gRPC gateway (`switchyard gateway`).
    public struct Gateway: Sendable, Hashable {
        /// Bearer tokens and their topics, `TOKEN=TOPIC,TOPIC` entries separated by `;` or new lines;
        /// `nil` when none are configured. Holds credentials.
        public var tokens: String?

        public init() {}
    }

    /// The CLI's own logging.
    public struct Log: Sendable, Hashable {
        /// The lowest level written to stderr.
        public var level: Logger.Level = .warning

        public init() {}
    }

    /// Which broker to run on.
    public var backend: Backend = .inmemory
    /// The in-memory broker's settings.
    public var inmemory = InMemory()
    /// The Kafka settings.
    public var kafka = Kafka()
    /// The RabbitMQ settings.
    public var rabbitmq = RabbitMQ()
    /// The dual-write settings.
    public var dual = Dual()
    /// The gateway settings.
    public var gateway = Gateway()
    /// The logging settings.
    public var log = Log()

    /// The defaults.
    public init() {}
}

extension SwitchyardSettings: CustomStringConvertible {
    /// Every key with its value, secrets redacted, so settings can be logged safely.
    public var description: String {
        SettingKey.entries(of: self)
            .map { "\($0.key)=\($0.displayValue)" }
            .joined(separator: " ")
    }
}
