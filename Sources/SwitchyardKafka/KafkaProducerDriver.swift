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
        var nextID: UInt = 1
        var pending: [UInt: @Sendable (Outcome) -> Void] = [:]
        var closed = false
        var fatal: SwitchyardError?
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let handle: OpaquePointer
    private let queue: OpaquePointer
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
        self.logger = logger
        self.pollThread = DedicatedThread(name: "switchyard-kafka-producer")
        pollThread.start { [self] in poll() }
    }

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        while true {
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
                switch enqueue(message, to: topic, report: { continuation.resume(returning: $0) }) {
                case nil: break
                case .queueFull: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(returning: .failed(error))
                }
            }
            switch outcome {
            case .delivered(let position):
                return position
            case .failed(let error):
                throw error
            case nil:
                try await waitForQueueSpace(message)
            }
        }
    }

    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        // Enqueued one after another, so per-key order holds, then every report is awaited together.
        let reports = BatchReports()
        var accepted = 0
        var refusal: SwitchyardError?
        enqueueing: for (index, message) in messages.enumerated() {
            while true {
                switch enqueue(message, to: topic, report: { reports.record($0, at: index) }) {
                case nil:
                    accepted += 1
                    continue enqueueing
                case .queueFull:
                    do {
                        try await waitForQueueSpace(message)
                    } catch {
                        refusal = error
                        break enqueueing
                    }
                case .failed(let error):
                    refusal = error
                    break enqueueing
                }
            }
        }
        let outcomes = await reports.wait(for: accepted)
        var positions: [DeliveryPosition] = []
        var unacknowledged: [String] = []
        var firstFailure = refusal
        for index in 0..<accepted {
            if case .delivered(let position) = outcomes[index] {
                positions.append(position)
            } else {
                if case .failed(let error) = outcomes[index], firstFailure == nil { firstFailure = error }
                unacknowledged.append(messages[index].id)
            }
        }
        unacknowledged += messages[accepted...].map(\.id)
        guard let firstFailure else { return positions }
        throw SwitchyardError(
            .partialBatch,
            "\(messages.count - unacknowledged.count) of \(messages.count) messages were sent; the first failure: \(firstFailure). Resend the unacknowledged ones.",
            isRetriable: firstFailure.isRetriable,
            unacknowledgedMessageIDs: unacknowledged
        )
    }

    func flush() async throws(SwitchyardError) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let empty = state.withLock { state in
                if state.pending.isEmpty { return true }
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

    private func waitForQueueSpace(_ message: Message) async throws(SwitchyardError) {
        do {
            try await Task.sleep(for: .milliseconds(2))
        } catch {
            throw SwitchyardError(.cancelled, "The send of \(message.id) was cancelled while librdkafka's queue was full; nothing was sent.")
        }
    }

    /// Produces `message`. Returns `nil` when librdkafka accepted it, and `report` is later called with
    /// its delivery report from the poll thread; otherwise returns why it was refused, and `report` is
    /// never called.
    private func enqueue(_ message: Message, to topic: String, report: @escaping @Sendable (Outcome) -> Void) -> Refusal? {
        let admitted: Result<UInt, SwitchyardError> = state.withLock { state in
            if let fatal = state.fatal { return .failure(fatal) }
            if state.closed {
                return .failure(SwitchyardError(.producerClosed, "The producer is closed. Create a new producer to send more messages."))
            }
            let id = state.nextID
            state.nextID += 1
            state.pending[id] = report
            return .success(id)
        }
        let id: UInt
        switch admitted {
        case .failure(let error):
            return .failed(error)
        case .success(let admittedID):
            id = admittedID
        }
        let headers = RDKafkaRecord.makeHeaders(for: message)
        let timestamp = (message.publishedAt ?? WallClock.nowMicroseconds()) / 1000
        let error = RDKafkaRecord.withBytes(message.key) { key, keySize in
            RDKafkaRecord.withBytes(message.payload) { value, valueSize in
                switchyard_produce(handle, topic, key, keySize, value, valueSize, headers, timestamp, UnsafeMutableRawPointer(bitPattern: id))
            }
        }
        guard let error else { return nil }
        rd_kafka_headers_destroy(headers)
        let code = rd_kafka_error_code(error)
        let refusal: Refusal
        if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            refusal = .queueFull
        } else {
            refusal = .failed(KafkaErrorMapping.consume(error, "Producing message \(message.id) to '\(topic)'"))
        }
        let drained = state.withLock { state in
            state.pending[id] = nil
            return Self.takeFlushWaitersIfDrained(&state)
        }
        for waiter in drained { waiter.resume() }
        return refusal
    }

    /// The flush waiters to resume, once nothing is pending.
    private static func takeFlushWaitersIfDrained(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.pending.isEmpty else { return [] }
        defer { state.flushWaiters = [] }
        return state.flushWaiters
    }

    // MARK: The poll thread

    private func poll() {
        while !stopping.isRaised {
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                deliveryReports(event)
            case RD_KAFKA_EVENT_LOG:
                RDKafkaEvents.log(event, to: logger)
            case RD_KAFKA_EVENT_ERROR:
                producerError(event)
            default:
                break
            }
            rd_kafka_event_destroy(event)
        }
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    private func deliveryReports(_ event: OpaquePointer) {
        var outcomes: [(UInt, Outcome)] = []
        while let record = rd_kafka_event_message_next(event) {
            let id = UInt(bitPattern: record.pointee._private)
            let code = record.pointee.err
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                outcomes.append((id, .delivered(DeliveryPosition(partition: record.pointee.partition, offset: record.pointee.offset))))
            } else {
                let topic = record.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                outcomes.append((id, .failed(KafkaErrorMapping.error(code, "Kafka did not take a message for '\(topic)'"))))
            }
        }
        let (resumable, drained) = state.withLock { state in
            let resumable = outcomes.compactMap { id, outcome in state.pending.removeValue(forKey: id).map { ($0, outcome) } }
            return (resumable, Self.takeFlushWaitersIfDrained(&state))
        }
        for (report, outcome) in resumable { report(outcome) }
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
