import Switchyard

/// One run of one case: the backend under test, the producers and consumers the case opened (closed
/// when it ends), its notes, and the checks it shares with every case.
final class ContractRun: Sendable {
    /// How a collecting wait settles what it receives.
    enum Settlement: Sendable {
        /// Ack each delivery; a failed ack fails the case.
        case ack
        /// Leave deliveries unsettled for the case to settle.
        case keep
        /// Ack each delivery, noting rather than failing on acks refused with these codes.
        case ackTolerating(Set<SwitchyardError.Code>)
    }

    private struct Resources {
        var producers: [Producer] = []
        var consumers: [Consumer] = []
        var backends: [any MessagingBackend] = []
        var notes: [String] = []
        var checks: [CapabilityCheck] = []
    }

    let harness: ContractHarness
    let backend: any MessagingBackend
    private let resources: LockedValue<Resources>

    init(harness: ContractHarness, backend: any MessagingBackend) {
        self.harness = harness
        self.backend = backend
        self.resources = LockedValue(Resources(backends: [backend]))
    }

    // MARK: Capabilities and notes

    func has(_ capability: BackendCapabilities) -> Bool {
        backend.capabilities.contains(capability)
    }

    /// Records that `capability` was exercised, the way the backend's declaration calls for.
    func checked(_ capability: BackendCapabilities) {
        let check = CapabilityCheck(capability: capability, declared: has(capability))
        resources.withLock { $0.checks.append(check) }
    }

    func note(_ text: String) {
        resources.withLock { $0.notes.append(text) }
    }

    var notes: [String] { resources.withLock(\.notes) }
    var checks: [CapabilityCheck] { resources.withLock(\.checks) }

    // MARK: Names, topics, clients

    func name(_ label: String) -> String {
        harness.uniqueName(label)
    }

    /// Where a new group starts so that it sees every message sent after it joined, and those sent
    /// just before where the backend can replay.
    var freshStart: StartPosition {
        has(.replay) ? .earliest : .committed
    }

    /// Creates a topic with a unique name.
    func makeTopic(_ label: String, partitions: Int = 1) async throws -> String {
        let topic = name(label)
        try await step("ensureTopic(\(topic), partitions: \(partitions))") {
            try await backend.ensureTopic(TopicSpec(name: topic, partitions: partitions))
        }
        return topic
    }

    func makeProducer(on client: (any MessagingBackend)? = nil, options: ProducerOptions = ProducerOptions()) async throws -> Producer {
        let producer = try await step("makeProducer") {
            try await (client ?? backend).makeProducer(options: options)
        }
        resources.withLock { $0.producers.append(producer) }
        return producer
    }

    func makeConsumer(_ topic: String, _ options: ConsumerOptions, on client: (any MessagingBackend)? = nil) async throws -> Consumer {
        try await step("makeConsumer(topic: \(topic), group: \(options.group ?? "private"))") {
            try await openConsumer(topic, options, on: client)
        }
    }

    /// Like ``makeConsumer(_:_:on:)``, but passes the backend's error through, for cases that expect one.
    func openConsumer(_ topic: String, _ options: ConsumerOptions, on client: (any MessagingBackend)? = nil) async throws -> Consumer {
        let consumer = try await (client ?? backend).makeConsumer(topic: topic, options: options)
        resources.withLock { $0.consumers.append(consumer) }
        return consumer
    }

    /// Another client of the same broker, as a restarted process would get.
    func anotherClient() async throws -> any MessagingBackend {
        let client = try await step("the harness's makeBackend") { try await harness.makeBackend() }
        track(client)
        return client
    }

    func track(_ client: any MessagingBackend) {
        resources.withLock { $0.backends.append(client) }
    }

    func track(_ producer: Producer) {
        resources.withLock { $0.producers.append(producer) }
    }

    /// Closes what the case opened: consumers, then producers, then clients. Failures become notes.
    func cleanUp() async {
        let taken = resources.withLock { resources in
            defer {
                resources.producers = []
                resources.consumers = []
                resources.backends = []
            }
            return resources
        }
        for consumer in taken.consumers {
            do { try await consumer.close() } catch { note("Cleanup: closing a consumer of \(consumer.topic) failed: \(error)") }
        }
        for producer in taken.producers {
            do { try await producer.close() } catch { note("Cleanup: closing a producer failed: \(error)") }
        }
        for client in taken.backends {
            do { try await client.shutdown() } catch { note("Cleanup: shutting down the \(client.name) backend failed: \(error)") }
        }
    }

    // MARK: Expectations

    /// Runs `body`, turning any error into a violation that says which step failed.
    @discardableResult
    func step<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let violation as ContractViolation {
            throw violation
        } catch {
            throw ContractViolation(expected: "\(what) to succeed", seen: ContractViolation.describe(error))
        }
    }

    /// Runs `body` and returns the ``SwitchyardError`` it must throw, with one of `codes`.
    @discardableResult
    func expectError(
        _ codes: Set<SwitchyardError.Code>,
        _ what: String,
        _ body: () async throws -> Void
    ) async throws -> SwitchyardError {
        let wanted = codes.map(\.description).sorted().joined(separator: " or ")
        do {
            try await body()
        } catch let error as SwitchyardError {
            guard codes.contains(error.code) else {
                throw ContractViolation(expected: "\(what) to fail with \(wanted)", seen: "\(error)")
            }
            return error
        } catch {
            throw ContractViolation(expected: "\(what) to fail with \(wanted)", seen: ContractViolation.describe(error))
        }
        throw ContractViolation(expected: "\(what) to fail with \(wanted)", seen: "it succeeded")
    }

    /// Fails the case with `expected` and `seen` unless `condition` holds.
    func require(_ condition: Bool, _ expected: @autoclosure () -> String, seen: @autoclosure () -> String) throws {
        if !condition { throw ContractViolation(expected: expected(), seen: seen()) }
    }

    /// Sends each message in turn and fails the case on the first error.
    func sendAll(_ messages: [Message], to topic: String, with producer: Producer) async throws {
        for message in messages {
            try await step("sending message \(message.id) to \(topic)") {
                try await producer.send(message, to: topic)
            }
        }
    }

    // MARK: Receiving

    /// Receives from `consumers` at once until every expected id has arrived, or fails the case after
    /// ``ContractHarness/waitTimeLimit`` naming what is missing.
    ///
    /// A receive never returns more than `maxMessages`. With `tolerateOutage`, a retriable receive
    /// error is noted and the receive retried, as during a broker restart.
    @discardableResult
    func collect(
        _ expected: [String],
        from consumers: [Consumer],
        _ what: String,
        maxMessages: Int = 100,
        settle: Settlement = .ack,
        tolerateOutage: Bool = false
    ) async throws -> DeliveryTally {
        let tally = DeliveryTally(expecting: expected)
        try await collect(into: tally, from: consumers, what, maxMessages: maxMessages, settle: settle, tolerateOutage: tolerateOutage)
        return tally
    }

    /// Like ``collect(_:from:_:maxMessages:settle:tolerateOutage:)``, adding to `tally` until it is
    /// complete.
    ///
    /// `held` are deliveries the first consumer received earlier: it processes them first, one at a
    /// time after a short pause each, recording and settling each as if it had just received it, and
    /// only then receives more. The other consumers start receiving at once.
    func collect(
        into tally: DeliveryTally,
        from consumers: [Consumer],
        _ what: String,
        holding held: [Delivery] = [],
        maxMessages: Int = 100,
        settle: Settlement = .ack,
        tolerateOutage: Bool = false
    ) async throws {
        let limit = harness.waitTimeLimit
        let ending = try await TimeLimit.race(limit, grace: harness.cancellationGrace) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, consumer) in consumers.enumerated() {
                    group.addTask {
                        if index == 0 {
                            for delivery in held {
                                try? await Task.sleep(for: Self.processingPause)
                                tally.record([delivery], from: index)
                                try await Self.settleOne(delivery, settle, tally)
                            }
                        }
                        try await Self.drain(
                            consumer, index: index, into: tally, what, maxMessages: maxMessages,
                            settle: settle, tolerateOutage: tolerateOutage
                        )
                    }
                }
                try await group.next()
                group.cancelAll()
                try await group.waitForAll()
            }
        }
        switch ending {
        case .finished(let result):
            try result.get()
        case .cancelled(.failure(let violation as ContractViolation)):
            throw violation
        case .cancelled, .abandoned:
            // Whatever a cancelled receive returned is in the tally, so it counts either way.
            guard tally.isComplete else {
                throw ContractViolation(expected: "all \(tally.expected.count) \(what) within \(limit)", seen: tally.summary)
            }
        }
    }

    /// How long the first consumer of ``collect(into:from:_:holding:maxMessages:settle:tolerateOutage:)``
    /// spends processing each delivery it held.
    private static let processingPause = Duration.milliseconds(5)

    /// Receives from one consumer into `tally` until it is complete or the task is cancelled.
    private static func drain(
        _ consumer: Consumer,
        index: Int,
        into tally: DeliveryTally,
        _ what: String,
        maxMessages: Int,
        settle: Settlement,
        tolerateOutage: Bool
    ) async throws {
        while !tally.isComplete {
            let batch: [Delivery]
            do {
                batch = try await consumer.receive(maxMessages: maxMessages)
            } catch where Task.isCancelled {
                return
            } catch where tolerateOutage && error.isRetriable {
                tally.tolerate("receive failed with \(error.code)")
                try? await Task.sleep(for: .milliseconds(20))
                continue
            } catch {
                throw ContractViolation(expected: "receiving \(what) to succeed", seen: ContractViolation.describe(error))
            }
            if batch.isEmpty {
                throw ContractViolation(
                    expected: "receive on an open consumer to wait for \(what)",
                    seen: "it returned no messages, as it should only when the consumer closes"
                )
            }
            if batch.count > maxMessages {
                throw ContractViolation(
                    expected: "receive(maxMessages: \(maxMessages)) to return at most \(maxMessages) messages",
                    seen: "it returned \(batch.count)"
                )
            }
            tally.record(batch, from: index)
            for delivery in batch {
                try await settleOne(delivery, settle, tally)
            }
        }
    }

    private static func settleOne(_ delivery: Delivery, _ settle: Settlement, _ tally: DeliveryTally) async throws {
        let tolerated: Set<SwitchyardError.Code>
        switch settle {
        case .keep: return
        case .ack: tolerated = []
        case .ackTolerating(let codes): tolerated = codes
        }
        do {
            try await delivery.ack()
        } catch where tolerated.contains(error.code) {
            tally.tolerate("ack of \(delivery.message.id) failed with \(error.code)")
        } catch {
            throw ContractViolation(expected: "acking message \(delivery.message.id) to succeed", seen: "\(error)")
        }
    }

    /// Waits up to ``ContractHarness/waitTimeLimit`` for one receive from `consumer` to return, and
    /// fails the case unless it returns at least one delivery.
    func receiveWaiting(from consumer: Consumer, maxMessages: Int, _ what: String) async throws -> [Delivery] {
        let limit = harness.waitTimeLimit
        let batch = try await TimeLimit.deadline(
            limit,
            onTimeout: { ContractViolation(expected: "receive to return \(what) within \(limit)", seen: "it kept waiting") }
        ) {
            try await consumer.receive(maxMessages: maxMessages)
        }
        try require(!batch.isEmpty, "receive on an open consumer to return \(what)", seen: "an empty batch")
        return batch
    }

    /// Listens to every one of `consumers` at once for ``ContractHarness/quietPeriod`` and fails the case
    /// if anything arrives, including what a receive cancelled at the end of the period returns.
    func expectNothingMore(from consumers: [Consumer], _ what: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask { try await self.expectNothingMore(from: consumer, what) }
            }
            try await group.waitForAll()
        }
    }

    /// Listens to `consumer` for ``ContractHarness/quietPeriod`` and fails the case if anything arrives,
    /// including what a receive cancelled at the end of the period returns.
    func expectNothingMore(from consumer: Consumer, _ what: String) async throws {
        let grace = harness.cancellationGrace
        let extra: [Delivery]
        switch try await TimeLimit.race(harness.quietPeriod, grace: grace, { try await consumer.receive(maxMessages: 100) }) {
        case .finished(let result), .cancelled(let result):
            do {
                extra = try result.get()
            } catch let error as SwitchyardError where error.code == .cancelled {
                return
            } catch {
                throw ContractViolation(expected: "a receive listening for messages \(what) to succeed", seen: ContractViolation.describe(error))
            }
        case .abandoned:
            throw ContractViolation(
                expected: "a receive cancelled after listening for messages \(what) to end within \(grace)",
                seen: "it kept running, so it may yet take a message that nobody sees"
            )
        }
        guard !extra.isEmpty else { return }
        throw ContractViolation(
            expected: "no further messages \(what)",
            seen: "\(extra.count) more arrived: \(ContractViolation.list(extra.map(\.message.id)))"
        )
    }

    /// Proves that the backend refuses what needs `capability`, which it does not declare: `body` must
    /// fail with ``SwitchyardError/Code/unsupported``.
    func provedUnsupported(
        _ capability: BackendCapabilities,
        _ what: String,
        _ body: () async throws -> Void
    ) async throws -> ContractOutcome.Result {
        try await expectError([.unsupported], what, body)
        checked(capability)
        return .provedUnsupported
    }

    // MARK: Messages

    /// `count` small messages whose payload names the case and their index, with a `contract-seq` header.
    func messages(_ count: Int, label: String, key: (Int) -> String? = { _ in nil }) -> [Message] {
        (0..<count).map { index in
            Message(
                key: key(index),
                payload: "\(label) #\(index)",
                headers: [MessageHeader(name: Self.sequenceHeader, value: String(index))]
            )
        }
    }

    static let sequenceHeader = "contract-seq"
}
