import CRdKafka
import Logging
import Switchyard

/// Sends to Kafka through one librdkafka producer handle.
///
/// A send returns when its delivery report arrives: with `acks=all` and idempotence on, that is when
/// every in-sync replica has the record. Reports are read by a dedicated thread through the event API
/// and resume the waiting tasks from there; nothing blocks Swift's cooperative pool. When librdkafka's
/// local queue is full, a send waits and retries rather than failing, so memory stays bounded by
/// `queue.buffering.max.messages` and `queue.buffering.max.kbytes`.
final class KafkaProducerDriver: ProducerDriver, @unchecked Sendable {
    // Safe to share: `handle` and `queue` are set once; librdkafka documents produce and queue polls as
    // thread-safe; all mutable Swift state is in `state`, behind its lock; and the handle is destroyed
    // only by the poll thread, after `close()` has stopped new sends and waited for every report.

    /// What a delivery report says.
    enum Outcome: Sendable {
        case delivered(DeliveryPosition)
        case failed(SwitchyardError)
    }

    /// Why librdkafka did not take a message.
    enum Refusal {
        /// Its local queue is full: wait for reports to drain it, then try again.
        case queueFull
        case failed(SwitchyardError)
    }

    private struct State {
        /// The sends waiting for reports, by slot; a report's opaque names the slot and the index.
        var sends: [BatchReports?] = []
        var freeSlots: [Int] = []
        /// Messages admitted for sending that have no outcome yet.
        var outstanding = 0
        var closed = false
        var fatal: SwitchyardError?
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// What one send ended with: the reports by message index (`nil` past `accepted`), how many messages
    /// librdkafka took, and why it took no more, if it stopped early.
    private struct Produced {
        var outcomes: [Outcome?]
        var accepted: Int
        var refusal: SwitchyardError?
    }

    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let topics: ProducerTopics
    private let logger: Logger
    private let state = LockedValue(State())
    private let stopping = StopFlag()
    private let pollThread: DedicatedThread

    init(configuration: KafkaConfiguration, options: ProducerOptions, logger: Logger) throws(SwitchyardError) {
        let conf = try RDKafkaConf.make(configuration.clientProperties([
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
            ("message.timeout.ms", KafkaConfiguration.milliseconds(options.sendTimeout)),
            ("message.max.bytes", String(configuration.maxMessageBytes + 64 * 1024)),
            ("allow.auto.create.topics", configuration.autoCreateTopics ? "true" : "false"),
        ]))
        rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR) | RDKafkaEvents.common)
        let handle = try RDKafkaConf.makeHandle(RD_KAFKA_PRODUCER, conf: conf, what: "producer")
        let queue = rd_kafka_queue_get_main(handle)!
        rd_kafka_set_log_queue(handle, queue)
        self.handle = handle
        self.queue = queue
        self.topics = ProducerTopics(client: handle, metadataWait: min(options.sendTimeout, Self.metadataWait))
        self.logger = logger
        self.pollThread = DedicatedThread(name: "switchyard-kafka-producer")
        pollThread.start { [self] in poll() }
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
            let empty = state.withLock { state in
                if state.outstanding == 0 { return true }
                state.flushWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }

    func close() async throws(SwitchyardError) {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        try await flush()
        stopping.raise()
        await pollThread.join()
    }

    // MARK: Producing

    /// Hands `messages` to librdkafka one after another, so per-key order holds, then waits for the
    /// reports of all it took. The whole send shares one slot, one report collector and one wait.
    private func produce(_ messages: [Message], to topic: String) async -> Produced {
        let reports = BatchReports(count: messages.count)
        let admitted: Result<Int, SwitchyardError> = state.withLock { state in
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
                    switch enqueue(message, to: topicHandle, named: topic, opaque: Self.opaque(slot: slot, index: index)) {
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
            let drained = state.withLock { state in
                state.outstanding -= messages.count - accepted
                return Self.takeFlushWaitersIfDrained(&state)
            }
            for waiter in drained { waiter.resume() }
        }
        let outcomes = await reports.wait(for: accepted)
        state.withLock { state in
            state.sends[slot] = nil
            state.freeSlots.append(slot)
        }
        return Produced(outcomes: outcomes, accepted: accepted, refusal: refusal)
    }

    /// The opaque of a record: its send's slot plus one in the high 32 bits (so it is never null), its
    /// index in the send in the low 32. Pointers are 64 bits on every platform Switchyard supports.
    private static func opaque(slot: Int, index: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(slot + 1) << 32 | UInt(index))
    }

    private func waitForQueueSpace(_ message: Message) async throws(SwitchyardError) {
        do {
            try await Task.sleep(for: .milliseconds(2))
        } catch {
            throw SwitchyardError(.cancelled, "The send of \(message.id) was cancelled while librdkafka's queue was full; nothing was sent.")
        }
    }

    /// Produces `message`. Returns `nil` when librdkafka accepted it, and its report comes later with
    /// `opaque`; otherwise returns why it was refused, and no report comes.
    private func enqueue(_ message: Message, to topicHandle: OpaquePointer, named topic: String, opaque: UnsafeMutableRawPointer?) -> Refusal? {
        let headers = RDKafkaRecord.makeHeaders(for: message)
        let timestamp = (message.publishedAt ?? WallClock.nowMicroseconds()) / 1000
        let error = RDKafkaRecord.withBytes(message.key) { key, keySize in
            RDKafkaRecord.withBytes(message.payload) { value, valueSize in
                switchyard_produce(handle, topicHandle, key, keySize, value, valueSize, headers, timestamp, opaque)
            }
        }
        guard let error else { return nil }
        rd_kafka_headers_destroy(headers)
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return .queueFull
        }
        return .failed(KafkaErrorMapping.consume(error, "Producing message \(message.id) to '\(topic)'"))
    }

    /// The flush waiters to resume, once nothing is outstanding.
    private static func takeFlushWaitersIfDrained(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.outstanding == 0 else { return [] }
        defer { state.flushWaiters = [] }
        return state.flushWaiters
    }

    // MARK: The poll thread

    private func poll() {
        var reports: [(slot: Int, index: Int, outcome: Outcome)] = []
        while !stopping.isRaised {
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                deliveryReports(event, into: &reports)
            case RD_KAFKA_EVENT_LOG:
                RDKafkaEvents.log(event, to: logger)
            case RD_KAFKA_EVENT_ERROR:
                producerError(event)
            default:
                break
            }
            rd_kafka_event_destroy(event)
        }
        topics.destroyAll()
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// Hands the reports of one event to their sends: one lock to find the sends, then one per run of
    /// reports for the same send (an event holds one message set, mostly from one send).
    private func deliveryReports(_ event: OpaquePointer, into reports: inout [(slot: Int, index: Int, outcome: Outcome)]) {
        reports.removeAll(keepingCapacity: true)
        while let record = rd_kafka_event_message_next(event) {
            let opaque = UInt(bitPattern: record.pointee._private)
            let slot = Int(opaque >> 32) - 1
            let index = Int(opaque & 0xFFFF_FFFF)
            let code = record.pointee.err
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                reports.append((slot, index, .delivered(DeliveryPosition(partition: record.pointee.partition, offset: record.pointee.offset))))
            } else {
                let topic = record.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                reports.append((slot, index, .failed(KafkaErrorMapping.error(code, "Kafka did not take a message for '\(topic)'"))))
            }
        }
        guard !reports.isEmpty else { return }
        let (runs, drained) = state.withLock { [reports] state in
            state.outstanding -= reports.count
            var runs: [(send: BatchReports?, range: Range<Int>)] = []
            for position in reports.indices {
                if let last = runs.last, reports[last.range.lowerBound].slot == reports[position].slot {
                    runs[runs.count - 1].range = last.range.lowerBound..<position + 1
                } else {
                    runs.append((state.sends[reports[position].slot], position..<position + 1))
                }
            }
            return (runs, Self.takeFlushWaitersIfDrained(&state))
        }
        for run in runs {
            run.send?.record(reports[run.range].lazy.map { ($0.index, $0.outcome) })
        }
        for waiter in drained { waiter.resume() }
    }

    private func producerError(_ event: OpaquePointer) {
        let (code, text, isFatal) = RDKafkaEvents.error(event)
        guard isFatal else {
            logger.warning("Kafka producer error", metadata: ["code": "\(String(cString: rd_kafka_err2name(code)))", "detail": "\(text)"])
            return
        }
        let error = KafkaErrorMapping.error(RD_KAFKA_RESP_ERR__FATAL, "The Kafka producer failed fatally: \(text)")
        logger.error("Kafka producer failed fatally", metadata: ["detail": "\(text)"])
        state.withLock { $0.fatal = error }
    }
}
