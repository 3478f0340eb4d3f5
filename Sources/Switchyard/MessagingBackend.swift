import Logging

/// A message broker that Switchyard can run on: the one protocol a backend implements.
///
/// A backend creates topics and hands out producer and consumer drivers. Application code never calls
/// the drivers; it uses ``Producer`` and ``Consumer``, which add validation, id and timestamp stamping,
/// metrics, dead-lettering and graceful draining uniformly on top of them.
///
/// Conformance is proven by running the `SwitchyardContract` suite against the backend unchanged.
public protocol MessagingBackend: Sendable {
    /// A short name for logs and metrics, such as `inmemory`, `kafka` or `rabbitmq`.
    var name: String { get }
    /// What this backend can promise. See ``BackendCapabilities``.
    var capabilities: BackendCapabilities { get }
    /// The limits this backend enforces.
    var limits: BackendLimits { get }

    /// Creates the topic if it is missing. An existing topic is left as it is.
    func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError)

    /// Creates a producer driver. It may be used from many tasks at once.
    func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver

    /// Creates a consumer driver that joins `options.group` on `topic`.
    func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver

    /// Releases the backend's connections. Producers and consumers should be closed first.
    func shutdown() async throws(SwitchyardError)
}

/// The backend side of a ``Producer``.
public protocol ProducerDriver: Sendable {
    /// Sends one message and returns only after the broker has taken durable responsibility for it.
    ///
    /// Once the message is handed to the client library, the driver waits for the outcome even if the
    /// task is cancelled, so a send is either reported as sent or as failed, never left half-done.
    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition

    /// Sends several messages and returns their positions in the same order once all are acknowledged.
    /// On failure it throws ``SwitchyardError/Code/partialBatch`` naming the ids that were not.
    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition]

    /// Returns when every send started before the call has its outcome.
    func flush() async throws(SwitchyardError)

    /// Flushes, then releases the driver. Sends after this fail with ``SwitchyardError/Code/producerClosed``.
    func close() async throws(SwitchyardError)
}

/// The backend side of a ``Consumer``.
public protocol ConsumerDriver: Sendable {
    /// Waits until at least one message is available and returns up to `maxMessages` of them.
    ///
    /// Returns an empty array when the consumer is closed while waiting. Throws
    /// ``SwitchyardError/Code/consumerClosed`` when it was closed before the call. When the task is
    /// cancelled while waiting, it throws `CancellationError` and takes no message.
    func receive(maxMessages: Int) async throws -> [ReceivedMessage]

    /// Waits at most `timeout` until at least one message is available, and returns up to `maxMessages`
    /// of those available then, without waiting for more.
    ///
    /// Returns an empty array when `timeout` passes first, or when the consumer is closed while waiting.
    /// Otherwise it behaves like ``receive(maxMessages:)``; a message is never taken and then dropped
    /// because the timeout passed. The default races ``receive(maxMessages:)`` against a timer; a backend
    /// whose client library waits with a timeout of its own should use that instead.
    func receive(maxMessages: Int, timeout: Duration) async throws -> [ReceivedMessage]

    /// Marks a delivery processed.
    func ack(_ token: DeliveryToken) async throws(SwitchyardError)

    /// Marks deliveries processed, in any order and across partitions, with as few calls to the client
    /// library as the backend allows. The core never passes a token twice in one call.
    ///
    /// When it throws, the tokens it did settle stay settled, and settling one of them again later fails
    /// with ``SwitchyardError/Code/alreadySettled`` or does nothing; it never settles a token it was not
    /// given. The default acks the tokens one by one.
    func ack(_ tokens: [DeliveryToken]) async throws(SwitchyardError)

    /// Makes a delivery available again, counting the attempt.
    func requeue(_ token: DeliveryToken) async throws(SwitchyardError)

    /// Makes deliveries available again, counting an attempt for each, with the guarantees of
    /// ``ack(_:)-([DeliveryToken])``. The default requeues the tokens one by one.
    func requeue(_ tokens: [DeliveryToken]) async throws(SwitchyardError)

    /// Gives back deliveries that were received but never shown to the application, without counting
    /// an attempt. Called when an iterator is dropped with messages still buffered.
    func release(_ tokens: [DeliveryToken])

    /// Leaves the group. Deliveries not yet settled go to the group's other consumers.
    func close() async throws(SwitchyardError)
}

extension ProducerDriver {
    /// Sends the messages one after another; backends with a native batch path replace this.
    public func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        var positions: [DeliveryPosition] = []
        positions.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            do {
                positions.append(try await send(message, to: topic))
            } catch {
                throw .partialBatch(unacknowledgedMessageIDs: messages[index...].map(\.id), of: messages.count, firstFailure: error)
            }
        }
        return positions
    }
}

extension ConsumerDriver {
    public func receive(maxMessages: Int, timeout: Duration) async throws -> [ReceivedMessage] {
        try await withThrowingTaskGroup(of: [ReceivedMessage]?.self) { group in
            group.addTask { try await self.receive(maxMessages: maxMessages) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var received: [ReceivedMessage]?
            var timedOut = false
            while let result = await group.nextResult() {
                switch result {
                case .success(let messages?):
                    received = messages
                    group.cancelAll()
                case .success(nil):
                    // The timer ended: it fired, or the receive returned first and cancelled it.
                    if received == nil {
                        timedOut = true
                        group.cancelAll()
                    }
                case .failure(let error):
                    // A receive that the timeout cancelled took no message; the caller's own
                    // cancellation is passed on.
                    if error is CancellationError && timedOut && !Task.isCancelled { continue }
                    throw error
                }
            }
            return received ?? []
        }
    }

    public func ack(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        for token in tokens {
            try await ack(token)
        }
    }

    public func requeue(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        for token in tokens {
            try await requeue(token)
        }
    }
}

extension MessagingBackend {
    /// Creates a ``Producer`` on this backend.
    public func makeProducer(
        options: ProducerOptions = ProducerOptions(),
        logger: Logger = Logger(label: "switchyard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(SwitchyardError) -> Producer {
        let driver = try await makeProducerDriver(options: options, logger: logger)
        return Producer(driver: driver, backend: self, logger: logger)
    }

    /// Creates a ``Consumer`` on this backend.
    ///
    /// Fails with ``SwitchyardError/Code/unsupported`` when the options need a capability the backend
    /// lacks, and with ``SwitchyardError/Code/invalidTopicName`` for a bad topic or group name.
    public func makeConsumer(
        topic: String,
        options: ConsumerOptions = ConsumerOptions(),
        logger: Logger = Logger(label: "switchyard", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(SwitchyardError) -> Consumer {
        try TopicName.validate(topic)
        if let group = options.group {
            try TopicName.validate(group, kind: "group")
        }
        if capabilities.contains(.deadLetter) {
            try TopicName.validate(TopicName.deadLetter(of: topic), kind: "dead-letter topic")
        }
        guard options.prefetch > 0 else {
            throw SwitchyardError(.invalidConfiguration, "prefetch is \(options.prefetch); it must be at least 1.")
        }
        guard options.maxDeliveryAttempts > 0 else {
            throw SwitchyardError(.invalidConfiguration, "maxDeliveryAttempts is \(options.maxDeliveryAttempts); it must be at least 1.")
        }
        switch options.startPosition {
        case .earliest, .timestamp:
            try require(.replay, for: "Starting at \(options.startPosition)")
        case .latest, .committed:
            break
        }
        if options.ordering == .perKey {
            try require(.orderedPerKey, for: "Per-key ordering")
        }
        let driver = try await makeConsumerDriver(topic: topic, options: options, logger: logger)
        return Consumer(topic: topic, options: options, driver: driver, backend: self, logger: logger)
    }

    /// Checks a topic spec before a backend creates the topic: a valid name, at least one partition, and
    /// persistence only where the backend has it.
    public func validate(_ spec: TopicSpec) throws(SwitchyardError) {
        try TopicName.validate(spec.name)
        if spec.requiresPersistence {
            try require(.persistent, for: "Topic '\(spec.name)' requires persistence, and that")
        }
        guard spec.partitions >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "Topic '\(spec.name)' asks for \(spec.partitions) partitions; use at least 1.")
        }
    }

    /// Throws ``SwitchyardError/Code/unsupported`` unless the backend declares `capability`.
    public func require(_ capability: BackendCapabilities, for what: String) throws(SwitchyardError) {
        guard capabilities.contains(capability) else {
            throw SwitchyardError(
                .unsupported,
                "\(what) needs the \(capability) capability, which the \(name) backend lacks. Choose a backend that has it."
            )
        }
    }
}

/// A backend that can delete a topic and what consumer groups left of it on the broker, as
/// `switchyard contract` does after it has run on someone's broker.
public protocol TopicRemoving: MessagingBackend {
    /// Removes `topic` and its dead-letter topic, with the storage of `groups` on both and the
    /// messages in it. What is already gone is skipped.
    func removeTopic(_ topic: String, groups: [String]) async throws(SwitchyardError)
}
