import Logging
import Switchyard

/// Sends to Kafka through one librdkafka producer handle.
///
/// A send returns when its delivery report arrives: with `acks=all` and idempotence on, that is when
/// every in-sync replica has the record. Reports are read by a dedicated thread, the
/// ``ProducerPollLoop``, through the event API and resume the waiting tasks from there; nothing blocks
/// Swift's cooperative pool. When librdkafka's local queue is full, a send waits and retries rather
/// than failing, so memory stays bounded by `queue.buffering.max.messages` and
/// `queue.buffering.max.kbytes`.
///
/// The poll thread owns the handle and does not keep the driver alive. A driver dropped without
/// ``close()`` (which can only happen with no send in flight) stops its thread from its deinit, and the
/// thread destroys the handle.
final class KafkaProducerDriver: ProducerDriver {
    /// What one send ended with: the reports by message index (`nil` past `accepted`), how many messages
    /// librdkafka took, and why it took no more, if it stopped early.
    private struct Produced {
        var outcomes: [ProducerSends.Outcome?]
        var accepted: Int
        var refusal: SwitchyardError?
    }

    /// The handle, owned by the poll thread; used only by sends admitted before `close()` or deinit
    /// raises the stop flag, so never after the thread has let it go.
    private unowned let client: RDKafkaClient
    private let topics: ProducerTopics
    private let sends = ProducerSends()
    private let pollThread: DedicatedThread

    init(configuration: KafkaConfiguration, options: ProducerOptions, logger: Logger) throws(SwitchyardError) {
        let started = try ProducerPollLoop.start(
            properties: configuration.clientProperties([
                ("acks", "all"),
                ("enable.idempotence", "true"),
                ("partitioner", "murmur2_random"),
                ("message.timeout.ms", KafkaConfiguration.milliseconds(options.sendTimeout)),
                ("message.max.bytes", String(configuration.maxMessageBytes + 64 * 1024)),
                ("allow.auto.create.topics", configuration.autoCreateTopics ? "true" : "false"),
            ]),
            sends: sends,
            metadataWait: min(options.sendTimeout, Self.metadataWait),
            logger: logger
        )
        self.client = started.client
        self.topics = started.topics
        self.pollThread = started.thread
    }

    deinit {
        sends.stopping.raise()
    }

    /// The longest the first send to a topic waits for the topic's metadata (see ``ProducerTopics``).
    private static let metadataWait = Duration.seconds(1)

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        let produced = await produce([message], to: topic)
        switch produced.outcomes[0] {
        case .delivered(let position):
            return position
        case .failed(let error):
            throw error
        case nil:
            throw produced.refusal ?? SwitchyardError(.internalError, "The send of \(message.id) ended without a delivery report. This is a bug; resend it.")
        }
    }

    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        let produced = await produce(messages, to: topic)
        var positions: [DeliveryPosition] = []
        positions.reserveCapacity(messages.count)
        var unacknowledged: [String] = []
        var firstFailure = produced.refusal
        for index in 0..<produced.accepted {
            if case .delivered(let position) = produced.outcomes[index] {
                positions.append(position)
            } else {
                if case .failed(let error) = produced.outcomes[index], firstFailure == nil { firstFailure = error }
                unacknowledged.append(messages[index].id)
            }
        }
        unacknowledged += messages[produced.accepted...].map(\.id)
        guard let firstFailure else { return positions }
        throw .partialBatch(unacknowledgedMessageIDs: unacknowledged, of: messages.count, firstFailure: firstFailure)
    }

    func flush() async throws(SwitchyardError) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let empty = sends.state.withLock { state in
                if state.outstanding == 0 { return true }
                state.flushWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }

    func close() async throws(SwitchyardError) {
        let first = sends.state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        try await flush()
        sends.stopping.raise()
        await pollThread.join()
    }

    // MARK: Producing

    /// Hands `messages` to librdkafka one after another, so per-key order holds, then waits for the
    /// reports of all it took. The whole send shares one slot, one report collector and one wait.
    private func produce(_ messages: [Message], to topic: String) async -> Produced {
        let reports = BatchOutcomes<ProducerSends.Outcome>(count: messages.count)
        let admitted: Result<Int, SwitchyardError> = sends.state.withLock { state in
            if let fatal = state.fatal { return .failure(fatal) }
            if state.closed {
                return .failure(SwitchyardError(.producerClosed, "The producer is closed. Create a new producer to send more messages."))
            }
            state.outstanding += messages.count
            if let slot = state.freeSlots.popLast() {
                state.sends[slot] = reports
                return .success(slot)
            }
            state.sends.append(reports)
            return .success(state.sends.count - 1)
        }
        let slot: Int
        switch admitted {
        case .failure(let error):
            return Produced(outcomes: Array(repeating: nil, count: messages.count), accepted: 0, refusal: error)
        case .success(let admittedSlot):
            slot = admittedSlot
        }
        var accepted = 0
        var refusal: SwitchyardError?
        do throws(SwitchyardError) {
            let topicHandle = try await topics.handle(for: topic)
            enqueueing: for (index, message) in messages.enumerated() {
                while true {
                    switch client.produce(message, to: topicHandle, named: topic, opaque: ProducerSends.opaque(slot: slot, index: index)) {
                    case nil:
                        accepted += 1
                        continue enqueueing
                    case .queueFull:
                        try await waitForQueueSpace(message)
                    case .failed(let error):
                        throw error
                    }
                }
            }
        } catch {
            refusal = error
        }
        if accepted < messages.count {
            let drained = sends.state.withLock { state in
                state.outstanding -= messages.count - accepted
                return ProducerSends.takeFlushWaitersIfDrained(&state)
            }
            for waiter in drained { waiter.resume() }
        }
        let outcomes = await reports.wait(for: accepted)
        sends.state.withLock { state in
            state.sends[slot] = nil
            state.freeSlots.append(slot)
        }
        return Produced(outcomes: outcomes, accepted: accepted, refusal: refusal)
    }

    private func waitForQueueSpace(_ message: Message) async throws(SwitchyardError) {
        do {
            try await Task.sleep(for: .milliseconds(2))
        } catch {
            throw SwitchyardError(.cancelled, "The send of \(message.id) was cancelled while librdkafka's queue was full; nothing was sent.")
        }
    }
}
