/// Where a consumer starts reading when it joins its group.
public enum StartPosition: Sendable, Hashable {
    /// The oldest message the backend still holds. Needs ``BackendCapabilities/replay``.
    case earliest
    /// Only messages sent after the consumer joined.
    case latest
    /// The group's committed position: the message after the contiguous acknowledged prefix. A group
    /// with no committed position starts at ``latest``, as a new RabbitMQ queue or a Kafka group with
    /// `auto.offset.reset=latest` would.
    case committed
    /// The first message published at or after this time, in microseconds since the Unix epoch.
    /// Needs ``BackendCapabilities/replay``.
    case timestamp(microseconds: Int64)
}

/// How a consumer joins a topic.
public struct ConsumerOptions: Sendable, Hashable {
    /// The per-key order a consumer asks for.
    public enum Ordering: Sendable, Hashable {
        /// No order is promised.
        case none
        /// Messages with the same key arrive in send order. Needs ``BackendCapabilities/orderedPerKey``.
        case perKey
    }

    /// The consumer group. Every group receives every message; the consumers in one group share them.
    /// `nil` makes a private group that commits nothing and disappears when the consumer closes.
    public var group: String?
    /// Where to start; see ``StartPosition``.
    public var startPosition: StartPosition
    /// The most deliveries this consumer holds unacknowledged at once. Fetching pauses at the bound,
    /// which keeps a slow consumer's memory bounded.
    public var prefetch: Int
    /// After this many deliveries, ``Delivery/nack(requeue:reason:)`` dead-letters the message instead
    /// of requeueing it.
    public var maxDeliveryAttempts: Int
    /// The order this consumer needs.
    public var ordering: Ordering

    public init(
        group: String? = nil,
        startPosition: StartPosition = .committed,
        prefetch: Int = 1000,
        maxDeliveryAttempts: Int = 5,
        ordering: Ordering = .none
    ) {
        self.group = group
        self.startPosition = startPosition
        self.prefetch = prefetch
        self.maxDeliveryAttempts = maxDeliveryAttempts
        self.ordering = ordering
    }
}

/// How a producer sends.
public struct ProducerOptions: Sendable, Hashable {
    /// How long a send waits for the broker's acknowledgement before failing with
    /// ``SwitchyardError/Code/timeout``; the message may or may not have been stored. Backends that talk to
    /// a broker enforce it; the in-memory backend stores a message before `send` returns and never waits.
    public var sendTimeout: Duration

    public init(sendTimeout: Duration = .seconds(30)) {
        self.sendTimeout = sendTimeout
    }
}
