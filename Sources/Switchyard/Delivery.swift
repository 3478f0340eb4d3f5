
/// Where a message sits in its backend: partition and offset on Kafka and in memory, delivery tag and
/// redelivered flag on RabbitMQ. Opaque to the core, but printable.
public struct DeliveryPosition: Sendable, Hashable, CustomStringConvertible {
    public var partition: Int32?
    public var offset: Int64?
    public var deliveryTag: UInt64?
    public var redelivered: Bool?

    public init(partition: Int32? = nil, offset: Int64? = nil, deliveryTag: UInt64? = nil, redelivered: Bool? = nil) {
        self.partition = partition
        self.offset = offset
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
    }

    /// The fields that are set, as name and value pairs in a fixed order.
    public var fields: [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        if let partition { result.append(("partition", String(partition))) }
        if let offset { result.append(("offset", String(offset))) }
        if let deliveryTag { result.append(("deliveryTag", String(deliveryTag))) }
        if let redelivered { result.append(("redelivered", String(redelivered))) }
        return result
    }

    public var description: String {
        fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}

/// A backend's handle on one delivery, which it needs to settle it. The fields mean what the backend
/// says; the core only passes them back.
public struct DeliveryToken: Sendable, Hashable {
    public var partition: Int32
    public var sequence: Int64
    public var epoch: UInt64

    public init(partition: Int32, sequence: Int64, epoch: UInt64) {
        self.partition = partition
        self.sequence = sequence
        self.epoch = epoch
    }
}

/// A message as a ``ConsumerDriver`` hands it to the core.
public struct ReceivedMessage: Sendable {
    public var message: Message
    public var position: DeliveryPosition
    /// 1 for the first delivery.
    public var deliveryAttempt: Int
    public var token: DeliveryToken

    public init(message: Message, position: DeliveryPosition, deliveryAttempt: Int, token: DeliveryToken) {
        self.message = message
        self.position = position
        self.deliveryAttempt = deliveryAttempt
        self.token = token
    }
}

/// One received message, to be settled exactly once with ``ack()``, ``nack(requeue:reason:)`` or
/// ``deadLetter(reason:)``.
///
/// A delivery that is never settled is delivered again when its consumer closes, to this group's next
/// consumer. Settling a delivery twice fails with ``SwitchyardError/Code/alreadySettled``.
public struct Delivery: Sendable {
    /// The message, with the same id, key, payload and headers it was sent with.
    public let message: Message
    /// The topic it was received from.
    public var topic: String { consumer.topic }
    /// Where it sits in the backend.
    public let position: DeliveryPosition
    /// How many times it has been delivered, this time included; 1 the first time.
    public let deliveryAttempt: Int

    let token: DeliveryToken
    let consumer: ConsumerCore
    let claims: SettlementClaims
    let index: Int

    init(_ received: ReceivedMessage, consumer: ConsumerCore, claims: SettlementClaims, index: Int) {
        self.message = received.message
        self.position = received.position
        self.deliveryAttempt = received.deliveryAttempt
        self.token = received.token
        self.consumer = consumer
        self.claims = claims
        self.index = index
    }

    /// Marks the message processed. The group will not receive it again.
    public func ack() async throws(SwitchyardError) {
        try await consumer.ack(self)
    }

    /// Gives the message back.
    ///
    /// With `requeue`, the message is delivered again with ``deliveryAttempt`` raised, unless this was
    /// attempt ``ConsumerOptions/maxDeliveryAttempts``, in which case it is dead-lettered. Without
    /// `requeue`, it is dead-lettered at once. It is never silently dropped.
    public func nack(requeue: Bool = true, reason: String? = nil) async throws(SwitchyardError) {
        try await consumer.nack(self, requeue: requeue, reason: reason)
    }

    /// Moves the message to `<topic>.dlq` with headers `dlq-original-topic`, `dlq-reason` and
    /// `dlq-attempts`, then acks it here. Needs ``BackendCapabilities/deadLetter``.
    public func deadLetter(reason: String) async throws(SwitchyardError) {
        try await consumer.deadLetter(self, reason: reason)
    }

    /// Decodes the payload with a typed topic's codec.
    public func decode<Value>(_ topic: Topic<Value>) throws(SwitchyardError) -> Value {
        try topic.decode(message)
    }
}

/// Makes sure each delivery of one received batch is settled once, whichever copy of the ``Delivery``
/// value settles it. One lock per batch keeps the cost off the per-message path.
///
/// A settlement claims its delivery first and gives it back if the backend fails, so a failed ack can be
/// retried.
final class SettlementClaims: Sendable {
    private let claimed: LockedValue<[Bool]>

    init(count: Int) {
        claimed = LockedValue(Array(repeating: false, count: count))
    }

    func claim(_ index: Int) throws(SwitchyardError) {
        let wasClaimed = claimed.withLock { claimed in
            defer { claimed[index] = true }
            return claimed[index]
        }
        if wasClaimed {
            throw SwitchyardError(.alreadySettled, "This delivery was already acked, nacked or dead-lettered.")
        }
    }

    /// Claims all of `indices` under one lock, or none of them when one is claimed already or is named
    /// twice. Returns whether it claimed them.
    func claim(_ indices: [Int]) -> Bool {
        claimed.withLock { claimed in
            var taken = 0
            for index in indices {
                guard !claimed[index] else { break }
                claimed[index] = true
                taken += 1
            }
            guard taken < indices.count else { return true }
            for index in indices[..<taken] {
                claimed[index] = false
            }
            return false
        }
    }

    func giveBack(_ index: Int) {
        claimed.withLock { $0[index] = false }
    }

    /// Gives back all of `indices` under one lock.
    func giveBack(_ indices: [Int]) {
        claimed.withLock { claimed in
            for index in indices {
                claimed[index] = false
            }
        }
    }
}

/// The headers that ``Delivery/deadLetter(reason:)`` adds.
public enum DeadLetterHeader {
    /// The topic the message was dead-lettered from.
    public static let originalTopic = "dlq-original-topic"
    /// Why it was dead-lettered.
    public static let reason = "dlq-reason"
    /// How many deliveries it had.
    public static let attempts = "dlq-attempts"
}
