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
/// ends normally when the consumer is closed from elsewhere, as on graceful shutdown. Receiving from a
/// consumer that was already closed throws ``SwitchyardError/Code/consumerClosed``.
public final class Consumer: AsyncSequence, Sendable {
    public typealias Element = Delivery
    public typealias Failure = any Error

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
    /// Returns an empty array when the consumer is closed while waiting. Throws `CancellationError`
    /// when the task is cancelled while waiting, having taken no message, and
    /// ``SwitchyardError/Code/invalidConfiguration`` when `maxMessages` is below 1.
    public func receive(maxMessages: Int = 100) async throws -> [Delivery] {
        guard maxMessages >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "receive(maxMessages: \(maxMessages)) asks for no message; ask for at least 1.")
        }
        let received = try await core.driver.receive(maxMessages: maxMessages)
        core.received.increment(by: Int64(received.count))
        let claims = SettlementClaims(count: received.count)
        return received.enumerated().map { Delivery($1, consumer: core, claims: claims, index: $0) }
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
        public typealias Failure = any Error

        private let consumer: Consumer
        private let buffer: ReadAheadBuffer
        private var finished = false

        init(consumer: Consumer) {
            self.consumer = consumer
            self.buffer = ReadAheadBuffer(driver: consumer.core.driver)
        }

        public mutating func next() async throws -> Delivery? {
            try await next(isolation: nil)
        }

        /// The next delivery, or `nil` once the consumer has been closed; after `nil`, always `nil`.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Delivery? {
            if let delivery = buffer.pop() { return delivery }
            if finished { return nil }
            let batch = try await consumer.receive(maxMessages: Swift.min(consumer.core.options.prefetch, 256))
            buffer.fill(batch)
            guard let delivery = buffer.pop() else {
                finished = true
                return nil
            }
            return delivery
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

    func nack(_ delivery: Delivery, requeue: Bool, reason: String?) async throws(SwitchyardError) {
        if requeue && delivery.deliveryAttempt < options.maxDeliveryAttempts {
            try await settle(delivery) { () async throws(SwitchyardError) in
                try await driver.requeue(delivery.token)
                requeued.increment()
            }
            return
        }
        let why = reason ?? (requeue ? "gave up after \(delivery.deliveryAttempt) delivery attempts" : "rejected by the consumer")
        try await deadLetter(delivery, reason: why)
    }

    func deadLetter(_ delivery: Delivery, reason: String) async throws(SwitchyardError) {
        try backend.require(.deadLetter, for: "Dead-lettering")
        try await settle(delivery) { () async throws(SwitchyardError) in
            let producer = try await deadLetterDriver()
            var message = delivery.message
            message.headers.append(MessageHeader(name: DeadLetterHeader.originalTopic, value: topic))
            message.headers.append(MessageHeader(name: DeadLetterHeader.reason, value: reason))
            message.headers.append(MessageHeader(name: DeadLetterHeader.attempts, value: String(delivery.deliveryAttempt)))
            _ = try await producer.send(message, to: TopicName.deadLetter(of: topic))
            try await driver.ack(delivery.token)
            deadLettered.increment()
            logger.info(
                "Dead-lettered a message",
                metadata: ["message-id": "\(message.id)", "topic": "\(topic)", "reason": "\(reason)", "attempts": "\(delivery.deliveryAttempt)"]
            )
        }
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
