import Logging
import Metrics
import Synchronization

/// Receives the messages of one topic for one consumer group, as an `AsyncSequence` of ``Delivery``.
///
/// Each delivery must be settled (``Delivery/ack()``, ``Delivery/nack(requeue:reason:)`` or
/// ``Delivery/deadLetter(reason:)``). Deliveries still unsettled when the consumer closes go to the
/// group's next consumer, so a crash or a cancelled loop never loses a message; it may duplicate one.
///
/// Leaving a `for try await` loop gives back the messages fetched ahead but not yet handed out. A loop
/// that is running when the consumer closes ends normally, as on graceful shutdown. Starting a loop on,
/// or calling ``receive(maxMessages:)`` on, a consumer that was already closed throws
/// ``SwitchyardError/Code/consumerClosed``.
public final class Consumer: AsyncSequence, Sendable {
    public typealias Element = Delivery
    public typealias Failure = SwitchyardError

    let core: ConsumerCore

    init(topic: String, options: ConsumerOptions, driver: any ConsumerDriver, backend: any MessagingBackend, logger: Logger) {
        self.core = ConsumerCore(topic: topic, options: options, driver: driver, backend: backend, logger: logger)
    }

    /// The topic this consumer reads.
    public var topic: String { core.topic }

    /// The options it was created with.
    public var options: ConsumerOptions { core.options }

    /// Waits for at least one message and returns up to `maxMessages`: batch receive.
    ///
    /// Returns an empty array when the consumer is closed while waiting. Throws
    /// ``SwitchyardError/Code/cancelled`` when the task is cancelled while waiting, having taken no
    /// message, ``SwitchyardError/Code/consumerClosed`` when the consumer was closed before the call,
    /// and ``SwitchyardError/Code/invalidConfiguration`` when `maxMessages` is below 1.
    public func receive(maxMessages: Int = 100) async throws(SwitchyardError) -> [Delivery] {
        guard maxMessages >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "receive(maxMessages: \(maxMessages)) asks for no message; ask for at least 1.")
        }
        return try await core.receive { driver in try await driver.receive(maxMessages: maxMessages) }
    }

    /// Waits at most `timeout` for a message and returns up to `max` deliveries: batch receive with a
    /// time limit.
    ///
    /// It returns as soon as at least one delivery is ready, with up to `max` of those ready then; it
    /// does not hold ready deliveries back to fill the batch. An empty array means that `timeout`
    /// passed with nothing to deliver, or that the consumer closed while waiting.
    ///
    /// - Throws: ``SwitchyardError/Code/cancelled`` when the task is cancelled while waiting, having
    ///   taken no message; ``SwitchyardError/Code/consumerClosed`` when the consumer was closed before
    ///   the call; ``SwitchyardError/Code/invalidConfiguration`` when `max` is below 1 or `timeout` is
    ///   negative.
    public func receive(max: Int = 100, timeout: Duration) async throws(SwitchyardError) -> [Delivery] {
        guard max >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "receive(max: \(max), timeout:) asks for no message; ask for at least 1.")
        }
        guard timeout >= .zero else {
            throw SwitchyardError(.invalidConfiguration, "receive(max:timeout: \(timeout)) has a negative timeout; pass zero or more.")
        }
        return try await core.receive { driver in try await driver.receive(maxMessages: max, timeout: timeout) }
    }

    /// Acks every one of `deliveries` at once: in any order, from any receive of this consumer, across
    /// partitions.
    ///
    /// The backend settles them with as few operations as it allows (see <doc:BatchSettlement>). It
    /// settles exactly the deliveries named: when one of them was settled already,
    /// came from another consumer or appears twice, it throws ``SwitchyardError/Code/alreadySettled``
    /// and settles none of them. When the backend fails, it throws that error; the deliveries it did
    /// not settle are delivered again, never lost, and may be acked again.
    public func ack(_ deliveries: [Delivery]) async throws(SwitchyardError) {
        try await core.ack(deliveries)
    }

    /// Nacks every one of `deliveries` at once, with the meaning of ``Delivery/nack(requeue:reason:)``
    /// for each: those below ``ConsumerOptions/maxDeliveryAttempts`` go back to be delivered again (with
    /// `requeue`), the others are dead-lettered. It checks the deliveries as ``ack(_:)`` does.
    public func nack(_ deliveries: [Delivery], requeue: Bool = true, reason: String? = nil) async throws(SwitchyardError) {
        try await core.nack(deliveries, requeue: requeue, reason: reason)
    }

    /// Dead-letters every one of `deliveries` at once, with the meaning of ``Delivery/deadLetter(reason:)``
    /// for each: the copies go to `<topic>.dlq` in one batch send, then the originals are acked together.
    /// It checks the deliveries as ``ack(_:)`` does. When only part of the batch reached the dead-letter
    /// topic, the rest stays unsettled and it throws ``SwitchyardError/Code/partialBatch`` naming them.
    public func deadLetter(_ deliveries: [Delivery], reason: String) async throws(SwitchyardError) {
        try await core.deadLetter(deliveries, reason: reason)
    }

    /// Leaves the group. Unsettled deliveries go to the group's other consumers; a loop waiting on this
    /// consumer ends. Calling it again is harmless.
    public func close() async throws(SwitchyardError) {
        try await core.close()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    /// Iterates deliveries, fetching them from the backend in batches bounded by the prefetch.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = Delivery
        public typealias Failure = SwitchyardError

        private let consumer: Consumer
        private let buffer: ReadAheadBuffer
        private var finished = false
        /// Whether a receive has returned; a loop already running when the consumer closes ends normally.
        private var started = false

        init(consumer: Consumer) {
            self.consumer = consumer
            self.buffer = ReadAheadBuffer(driver: consumer.core.driver)
        }

        public mutating func next() async throws(SwitchyardError) -> Delivery? {
            try await next(isolation: nil)
        }

        /// The next delivery, or `nil` once the consumer has closed under a running loop; after `nil`,
        /// always `nil`. Throws ``SwitchyardError/Code/consumerClosed`` when the first call finds the
        /// consumer already closed.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(SwitchyardError) -> Delivery? {
            if let delivery = buffer.pop() { return delivery }
            if finished { return nil }
            let batch: [Delivery]
            do {
                batch = try await consumer.receive(maxMessages: Swift.min(consumer.core.options.prefetch, 256))
            } catch where error.code == .consumerClosed && started {
                batch = []
            }
            started = true
            buffer.fill(batch)
            guard let delivery = buffer.pop() else {
                finished = true
                return nil
            }
            return delivery
        }
    }
}

/// Deliveries claimed together for one settlement, which can be given back if it fails.
struct ClaimedDeliveries {
    let deliveries: [Delivery]

    /// Gives back every claimed delivery.
    func giveBack() {
        giveBack(deliveries)
    }

    /// Gives back `some`, which must be among the claimed deliveries.
    func giveBack(_ some: [Delivery]) {
        for delivery in some {
            delivery.claims.giveBack(delivery.index)
        }
    }
}

/// Deliveries fetched ahead of the application. When the iterator that owns it goes away, the ones never
/// handed out are released back to the backend without counting an attempt.
final class ReadAheadBuffer {
    private let driver: any ConsumerDriver
    private var items: [Delivery] = []
    private var nextIndex = 0

    init(driver: any ConsumerDriver) {
        self.driver = driver
    }

    func fill(_ batch: [Delivery]) {
        items = batch
        nextIndex = 0
    }

    func pop() -> Delivery? {
        guard nextIndex < items.count else { return nil }
        defer { nextIndex += 1 }
        return items[nextIndex]
    }

    deinit {
        if nextIndex < items.count {
            driver.release(items[nextIndex...].map(\.token))
        }
    }
}

/// The state a ``Consumer`` shares with its deliveries: the driver, metrics and the dead-letter path.
final class ConsumerCore: Sendable {
    let topic: String
    let options: ConsumerOptions
    let driver: any ConsumerDriver
    let backend: any MessagingBackend
    let logger: Logger
    let received: Counter
    private let acked: Counter
    private let requeued: Counter
    private let deadLettered: Counter
    private let deadLetterProducer = LockedValue<(any ProducerDriver)?>(nil)
    private let closed = Atomic<Bool>(false)

    init(topic: String, options: ConsumerOptions, driver: any ConsumerDriver, backend: any MessagingBackend, logger: Logger) {
        self.topic = topic
        self.options = options
        self.driver = driver
        self.backend = backend
        self.logger = logger
        let dimensions = [("backend", backend.name)]
        self.received = Counter(label: "switchyard_messages_received_total", dimensions: dimensions)
        self.acked = Counter(label: "switchyard_messages_acked_total", dimensions: dimensions)
        self.requeued = Counter(label: "switchyard_messages_requeued_total", dimensions: dimensions)
        self.deadLettered = Counter(label: "switchyard_messages_dead_lettered_total", dimensions: dimensions)
    }

    /// Runs one of the driver's receives and wraps what it returns as deliveries that share one set of
    /// settlement claims; its errors become ``SwitchyardError``s, a cancellation ``SwitchyardError/Code/cancelled``.
    func receive(_ call: (any ConsumerDriver) async throws -> [ReceivedMessage]) async throws(SwitchyardError) -> [Delivery] {
        let received: [ReceivedMessage]
        do {
            received = try await call(driver)
        } catch let error as SwitchyardError {
            throw error
        } catch is CancellationError {
            throw SwitchyardError(.cancelled, "The receive was cancelled while it waited; it took no message.", underlyingError: CancellationError())
        } catch {
            throw SwitchyardError(.internalError, "The backend's receive failed: \(error)", underlyingError: error)
        }
        self.received.increment(by: Int64(received.count))
        let claims = SettlementClaims(count: received.count)
        return received.enumerated().map { Delivery($1, consumer: self, claims: claims, index: $0) }
    }

    func ack(_ delivery: Delivery) async throws(SwitchyardError) {
        try claim(delivery)
        do {
            try await driver.ack(delivery.token)
        } catch {
            delivery.claims.giveBack(delivery.index)
            throw error
        }
        acked.increment()
    }

    func ack(_ deliveries: [Delivery]) async throws(SwitchyardError) {
        guard !deliveries.isEmpty else { return }
        let claimed = try claim(deliveries)
        do {
            try await driver.ack(deliveries.map(\.token))
        } catch {
            claimed.giveBack()
            throw error
        }
        acked.increment(by: Int64(deliveries.count))
    }

    func nack(_ deliveries: [Delivery], requeue: Bool, reason: String?) async throws(SwitchyardError) {
        guard !deliveries.isEmpty else { return }
        let again = requeue ? deliveries.filter { $0.deliveryAttempt < options.maxDeliveryAttempts } : []
        let given = again.count == deliveries.count ? [] : deliveries.filter { !requeue || $0.deliveryAttempt >= options.maxDeliveryAttempts }
        if !given.isEmpty {
            try backend.require(.deadLetter, for: "Dead-lettering")
        }
        if !again.isEmpty {
            let claimed = try claim(again)
            do {
                try await driver.requeue(again.map(\.token))
            } catch {
                claimed.giveBack()
                throw error
            }
            requeued.increment(by: Int64(again.count))
        }
        if !given.isEmpty {
            try await deadLetter(given) { Self.deadLetterReason(reason, requeue: requeue, attempt: $0.deliveryAttempt) }
        }
    }

    func deadLetter(_ deliveries: [Delivery], reason: String) async throws(SwitchyardError) {
        guard !deliveries.isEmpty else { return }
        try backend.require(.deadLetter, for: "Dead-lettering")
        try await deadLetter(deliveries) { _ in reason }
    }

    /// Sends a copy of each delivery to the dead-letter topic in one batch, then acks those that arrived.
    private func deadLetter(_ deliveries: [Delivery], reason: (Delivery) -> String) async throws(SwitchyardError) {
        let claimed = try claim(deliveries)
        let copies = deliveries.map { deadLetterCopy(of: $0, reason: reason($0)) }
        var failure: SwitchyardError?
        var landed = deliveries
        do {
            let producer = try await deadLetterDriver()
            _ = try await producer.send(copies, to: TopicName.deadLetter(of: topic))
        } catch where error.code == .partialBatch {
            let unsent = Set(error.unacknowledgedMessageIDs)
            landed = deliveries.filter { !unsent.contains($0.message.id) }
            claimed.giveBack(deliveries.filter { unsent.contains($0.message.id) })
            failure = error
        } catch {
            claimed.giveBack()
            throw error
        }
        if !landed.isEmpty {
            do {
                try await driver.ack(landed.map(\.token))
            } catch {
                claimed.giveBack(landed)
                throw error
            }
            deadLettered.increment(by: Int64(landed.count))
            logger.info(
                "Dead-lettered messages",
                metadata: ["count": "\(landed.count)", "topic": "\(topic)", "first-message-id": "\(landed[0].message.id)"]
            )
        }
        if let failure { throw failure }
    }

    func nack(_ delivery: Delivery, requeue: Bool, reason: String?) async throws(SwitchyardError) {
        if requeue && delivery.deliveryAttempt < options.maxDeliveryAttempts {
            try await settle(delivery) { () async throws(SwitchyardError) in
                try await driver.requeue(delivery.token)
                requeued.increment()
            }
            return
        }
        let why = Self.deadLetterReason(reason, requeue: requeue, attempt: delivery.deliveryAttempt)
        try await deadLetter(delivery, reason: why)
    }

    func deadLetter(_ delivery: Delivery, reason: String) async throws(SwitchyardError) {
        try backend.require(.deadLetter, for: "Dead-lettering")
        try await settle(delivery) { () async throws(SwitchyardError) in
            let producer = try await deadLetterDriver()
            let message = deadLetterCopy(of: delivery, reason: reason)
            _ = try await producer.send(message, to: TopicName.deadLetter(of: topic))
            try await driver.ack(delivery.token)
            deadLettered.increment()
            logger.info(
                "Dead-lettered a message",
                metadata: ["message-id": "\(message.id)", "topic": "\(topic)", "reason": "\(reason)", "attempts": "\(delivery.deliveryAttempt)"]
            )
        }
    }

    /// The reason a nacked delivery is dead-lettered with: the caller's, or why the nack gave up.
    private static func deadLetterReason(_ given: String?, requeue: Bool, attempt: Int) -> String {
        given ?? (requeue ? "gave up after \(attempt) delivery attempts" : "rejected by the consumer")
    }

    /// The message as it goes to the dead-letter topic: unchanged, with the dead-letter headers added.
    private func deadLetterCopy(of delivery: Delivery, reason: String) -> Message {
        var message = delivery.message
        message.headers.append(MessageHeader(name: DeadLetterHeader.originalTopic, value: topic))
        message.headers.append(MessageHeader(name: DeadLetterHeader.reason, value: reason))
        message.headers.append(MessageHeader(name: DeadLetterHeader.attempts, value: String(delivery.deliveryAttempt)))
        return message
    }

    /// Runs `operation` as the one settlement of `delivery`; if it fails, the delivery may be settled again.
    private func settle(_ delivery: Delivery, _ operation: () async throws(SwitchyardError) -> Void) async throws(SwitchyardError) {
        try claim(delivery)
        do {
            try await operation()
        } catch {
            delivery.claims.giveBack(delivery.index)
            throw error
        }
    }

    /// Claims `delivery` for one settlement, unless the consumer is closed or it was settled already.
    private func claim(_ delivery: Delivery) throws(SwitchyardError) {
        if closed.load(ordering: .acquiring) {
            throw SwitchyardError(
                .consumerClosed,
                "The consumer that received this delivery is closed; the delivery went back to its group and will be delivered again."
            )
        }
        try delivery.claims.claim(delivery.index)
    }

    /// Claims every one of `deliveries` for one settlement, or none of them: it fails when the consumer
    /// is closed, or when one of them was received by another consumer, was settled already or is
    /// named twice.
    private func claim(_ deliveries: [Delivery]) throws(SwitchyardError) -> ClaimedDeliveries {
        if closed.load(ordering: .acquiring) {
            throw SwitchyardError(
                .consumerClosed,
                "The consumer that received these deliveries is closed; they went back to their group and will be delivered again."
            )
        }
        if let foreign = deliveries.first(where: { $0.consumer !== self }) {
            throw SwitchyardError(
                .alreadySettled,
                "Message \(foreign.message.id) was received by another consumer; settle it with that consumer. Nothing was settled."
            )
        }
        var batches: [(claims: SettlementClaims, indices: [Int])] = []
        for delivery in deliveries {
            if let batch = batches.firstIndex(where: { $0.claims === delivery.claims }) {
                batches[batch].indices.append(delivery.index)
            } else {
                batches.append((delivery.claims, [delivery.index]))
            }
        }
        for (taken, batch) in batches.enumerated() where !batch.claims.claim(batch.indices) {
            for earlier in batches[..<taken] {
                earlier.claims.giveBack(earlier.indices)
            }
            throw SwitchyardError(
                .alreadySettled,
                "One of the \(deliveries.count) deliveries was already acked, nacked or dead-lettered, or is named twice. Nothing was settled."
            )
        }
        return ClaimedDeliveries(deliveries: deliveries)
    }

    private func deadLetterDriver() async throws(SwitchyardError) -> any ProducerDriver {
        if let existing = deadLetterProducer.withLock({ $0 }) { return existing }
        try await backend.ensureTopic(TopicSpec(name: TopicName.deadLetter(of: topic)))
        let created = try await backend.makeProducerDriver(options: ProducerOptions(), logger: logger)
        let (driver, installed) = deadLetterProducer.withLock { slot -> (any ProducerDriver, Bool) in
            if let existing = slot { return (existing, false) }
            slot = created
            return (created, true)
        }
        if !installed {
            try await created.close()
        }
        return driver
    }

    func close() async throws(SwitchyardError) {
        closed.store(true, ordering: .releasing)
        let producer = deadLetterProducer.withLock { slot in
            defer { slot = nil }
            return slot
        }
        try await driver.close()
        try await producer?.close()
    }
}
