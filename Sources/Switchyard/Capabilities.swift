/// What a backend can honestly promise.
///
/// Every capability a backend declares is proven by a case in the contract suite, and every one it
/// lacks makes the API that needs it fail with ``SwitchyardError/Code/unsupported``.
public struct BackendCapabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Messages survive a restart of the broker process. Topics created with
    /// ``TopicSpec/requiresPersistence`` need it.
    public static let persistent = BackendCapabilities(rawValue: 1 << 0)
    /// A consumer may start at ``StartPosition/earliest`` or ``StartPosition/timestamp(microseconds:)``.
    public static let replay = BackendCapabilities(rawValue: 1 << 1)
    /// Messages with the same key arrive in the order they were sent, when the consumer asks for
    /// ``ConsumerOptions/Ordering/perKey``. Order is not kept for requeued messages.
    public static let orderedPerKey = BackendCapabilities(rawValue: 1 << 2)
    /// Several consumers in one group share its messages, each message going to one of them.
    public static let competingConsumers = BackendCapabilities(rawValue: 1 << 3)
    /// ``Delivery/deadLetter(reason:)`` moves a message to `<topic>.dlq`.
    public static let deadLetter = BackendCapabilities(rawValue: 1 << 4)
    /// ``Delivery/deliveryAttempt`` counts every delivery exactly; without it, a redelivery is only
    /// known to be at least the second attempt.
    public static let deliveryAttemptCount = BackendCapabilities(rawValue: 1 << 5)
    /// Sending to a topic that does not exist creates it; without it, the send fails with
    /// ``SwitchyardError/Code/topicNotFound``.
    public static let autoCreateTopics = BackendCapabilities(rawValue: 1 << 6)

    /// Every capability with its name, in declaration order.
    public static let named: [(BackendCapabilities, String)] = [
        (.persistent, "persistent"),
        (.replay, "replay"),
        (.orderedPerKey, "orderedPerKey"),
        (.competingConsumers, "competingConsumers"),
        (.deadLetter, "deadLetter"),
        (.deliveryAttemptCount, "deliveryAttemptCount"),
        (.autoCreateTopics, "autoCreateTopics"),
    ]

    public var description: String {
        "[" + Self.named.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}

/// Size limits a backend enforces.
public struct BackendLimits: Sendable, Hashable {
    /// The largest ``Message/encodedSize`` the backend accepts.
    public var maxMessageBytes: Int
    /// The configuration key that raises ``maxMessageBytes``, named in the error when it is exceeded.
    public var maxMessageBytesKey: String

    public init(maxMessageBytes: Int, maxMessageBytesKey: String) {
        self.maxMessageBytes = maxMessageBytes
        self.maxMessageBytesKey = maxMessageBytesKey
    }
}
