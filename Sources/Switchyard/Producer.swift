import Logging
import Metrics
import Synchronization

/// What a successful send returns.
public struct SendReceipt: Sendable, Hashable {
    /// The id the message was sent with.
    public let messageID: String
    /// The topic it was sent to.
    public let topic: String
    /// Where the broker put it, when the broker says.
    public let position: DeliveryPosition
}

/// Sends messages to topics. Safe to share between tasks.
///
/// `send` returns only once the broker has taken durable responsibility for the message (see
/// <doc:DeliveryPromise>), so a message whose send returned is never lost. It stamps
/// ``Message/publishedAt`` when it is unset, and refuses bad input before it reaches the broker: an
/// invalid topic name, an empty id, a reserved header name, or a message over
/// ``BackendLimits/maxMessageBytes``.
///
/// ``close()`` stops new sends and waits for those in flight, so a graceful shutdown loses nothing.
public final class Producer: Sendable {
    /// The high bit of ``inFlight`` says the producer is closed; the rest counts sends in flight.
    private static let closedBit = 1 << 62

    private let driver: any ProducerDriver
    private let limits: BackendLimits
    private let logger: Logger
    private let inFlight = Atomic<Int>(0)
    private let drainWaiters = LockedValue<[CheckedContinuation<Void, Never>]>([])
    /// The first topic name this producer found valid. Whether a name is valid never changes, so sends to
    /// it skip the check; names of other topics are checked on every send.
    private let validatedTopic = AtomicLazyReference<ValidatedTopic>()
    private let sent: Counter
    private let failed: Counter

    init(driver: any ProducerDriver, backend: some MessagingBackend, logger: Logger) {
        self.driver = driver
        self.limits = backend.limits
        self.logger = logger
        let dimensions = [("backend", backend.name)]
        self.sent = Counter(label: "switchyard_messages_sent_total", dimensions: dimensions)
        self.failed = Counter(label: "switchyard_send_failures_total", dimensions: dimensions)
    }

    /// Sends one message and returns after the broker's durable acknowledgement.
    ///
    /// When the task is cancelled before the message reaches the broker, this throws
    /// ``SwitchyardError/Code/cancelled`` and nothing is sent; once it has reached the broker, the send
    /// runs to its outcome.
    @discardableResult
    public func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> SendReceipt {
        var message = message
        try validate(topic)
        try prepare(&message)
        try enter()
        defer { leave() }
        do {
            let position = try await driver.send(message, to: topic)
            sent.increment()
            return SendReceipt(messageID: message.id, topic: topic, position: position)
        } catch {
            failed.increment()
            throw error
        }
    }

    /// Sends several messages and returns once all are acknowledged, in the same order.
    ///
    /// If any is not acknowledged, this throws ``SwitchyardError/Code/partialBatch`` with
    /// ``SwitchyardError/unacknowledgedMessageIDs``; the others were sent and may be resent safely,
    /// since consumers deduplicate on the id.
    @discardableResult
    public func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [SendReceipt] {
        var prepared = messages
        // The topic is checked once for the batch, before any message, as a per-message check would be.
        if !prepared.isEmpty { try validate(topic) }
        for index in prepared.indices {
            try prepare(&prepared[index])
        }
        try enter()
        defer { leave() }
        do {
            let positions = try await driver.send(prepared, to: topic)
            sent.increment(by: Int64(prepared.count))
            return zip(prepared, positions).map { SendReceipt(messageID: $0.id, topic: topic, position: $1) }
        } catch {
            let unacknowledged = error.code == .partialBatch ? error.unacknowledgedMessageIDs.count : prepared.count
            failed.increment(by: Int64(unacknowledged))
            sent.increment(by: Int64(prepared.count - unacknowledged))
            throw error
        }
    }

    /// Encodes `value` with the topic's codec and sends it.
    @discardableResult
    public func send<Value>(
        _ value: Value,
        key: String? = nil,
        headers: [MessageHeader] = [],
        to topic: Topic<Value>
    ) async throws(SwitchyardError) -> SendReceipt {
        try await send(try topic.encode(value, key: key, headers: headers), to: topic.name)
    }

    /// Returns when every send started before the call has its outcome.
    public func flush() async throws(SwitchyardError) {
        try await driver.flush()
    }

    /// Stops accepting sends, waits for the ones in flight, and releases the driver.
    ///
    /// Every caller waits for the sends in flight; only the first releases the driver. Sends after it fail
    /// with ``SwitchyardError/Code/producerClosed``.
    public func close() async throws(SwitchyardError) {
        let before = inFlight.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let drained = drainWaiters.withLock { waiters in
                // Checked under the waiters' lock, which `leave` takes after its decrement: either this
                // sees the last send finished, or that send's `leave` finds this waiter.
                if inFlight.load(ordering: .acquiring) == Self.closedBit { return true }
                waiters.append(continuation)
                return false
            }
            if drained { continuation.resume() }
        }
        guard before & Self.closedBit == 0 else { return }
        try await driver.close()
        logger.debug("Producer closed")
    }

    /// Throws ``SwitchyardError/Code/invalidTopicName`` when `topic` breaks ``TopicName``'s rules, as
    /// `TopicName.validate` does, checking the producer's first valid topic only once.
    private func validate(_ topic: String) throws(SwitchyardError) {
        let validated = validatedTopic.load()
        if validated?.name == topic { return }
        try TopicName.validate(topic)
        if validated == nil {
            _ = validatedTopic.storeIfNil(ValidatedTopic(name: topic))
        }
    }

    /// Checks a message for a topic already validated, and stamps its publish time.
    private func prepare(_ message: inout Message) throws(SwitchyardError) {
        if message.id.isEmpty {
            throw SwitchyardError(.invalidMessage, "The message id is empty. Leave it out to get a generated UUIDv7, or set a unique id.")
        }
        for header in message.headers where MessageHeader.reservedNames.contains(header.name) {
            throw SwitchyardError(
                .invalidMessage,
                "The header name '\(header.name)' is reserved for the wire format. Set the Message field instead, or rename the header."
            )
        }
        let size = message.encodedSize
        if size > limits.maxMessageBytes {
            throw SwitchyardError(
                .messageTooLarge,
                "Message \(message.id) is \(size) bytes; this backend accepts at most \(limits.maxMessageBytes). Send a smaller message or raise \(limits.maxMessageBytesKey)."
            )
        }
        if message.publishedAt == nil {
            message.publishedAt = WallClock.nowMicroseconds()
        }
    }

    private func enter() throws(SwitchyardError) {
        if Task.isCancelled {
            throw SwitchyardError(.cancelled, "The send was cancelled before the message reached the broker; nothing was sent.")
        }
        let before = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
        if before & Self.closedBit != 0 {
            leave()
            throw SwitchyardError(.producerClosed, "The producer is closed. Create a new producer to send more messages.")
        }
    }

    private func leave() {
        let after = inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
        guard after == Self.closedBit else { return }
        let waiters = drainWaiters.withLock { waiters in
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A topic name that passed ``TopicName/validate(_:kind:)``, held by a producer so it is not checked again.
private final class ValidatedTopic: Sendable {
    let name: String

    init(name: String) {
        self.name = name
    }
}
