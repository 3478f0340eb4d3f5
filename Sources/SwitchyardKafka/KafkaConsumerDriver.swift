import CRdKafka
import Foundation
import Logging
import Switchyard

/// One member of a Kafka consumer group on one topic, over one librdkafka consumer handle.
///
/// A dedicated thread owns every blocking librdkafka call: it polls the consumer queue (records,
/// rebalances, commit results, logs, errors), commits the contiguous acked prefix of each partition
/// asynchronously within ``KafkaConfiguration/commitInterval`` of the acks that moved it, and
/// synchronously on every revoke and on close, and pauses fetching while the prefetch bound is reached.
/// Receives wait on continuations that the thread resumes.
///
/// Acked progress that a revoke could not commit (a broker may refuse commits while the group
/// rebalances, as the mock cluster does) is carried to the next assignment: a partition given back
/// resumes after it, when the group's committed offset is behind it, and commits it. Everything before
/// that point was acked by this consumer, so nothing unacked is skipped.
///
/// `nack(requeue:)` redelivers from this consumer's memory, at the front of the line, with the attempt
/// raised; the offset stays uncommitted, so if the consumer goes away first the partition's next owner
/// fetches the message again (with its attempt count starting over, which is why this backend does not
/// declare exact attempt counts).
final class KafkaConsumerDriver: ConsumerDriver, @unchecked Sendable {
    // Safe to share: after creation, `handle` and `queue` are used only by the poll thread, except for
    // `rd_kafka_queue_yield`, which is thread-safe and is called under `state`'s lock only while
    // `queueOpen` says the queue exists; every other mutable value is in `state`, behind its lock; and
    // the handle is destroyed by the poll thread as its last act.

    private struct Waiter {
        var id: UInt64
        var maxMessages: Int
        var continuation: CheckedContinuation<[ReceivedMessage], any Error>
    }

    private struct State {
        var ledger: ConsumerLedger
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        var started = false
        var startWaiter: CheckedContinuation<Bool, Never>?
        var startFailure: SwitchyardError?
        var startTimedOut = false
        /// Whether fetching is paused at the prefetch bound, as the poll thread last set it.
        var fetchPaused = false
        /// Whether `queue` still exists, so a settlement may wake the poll thread through it.
        var queueOpen = true
        /// The asynchronous commit in flight, by the number its result event carries, and what it commits.
        var commitInFlight: (number: UInt, points: [ConsumerLedger.CommitPoint])?
        var lastCommitNumber: UInt = 0
    }

    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let topic: String
    private let options: ConsumerOptions
    private let commits: Bool
    private let commitInterval: Duration
    private let connectTimeout: Duration
    private let revokeGracePeriod: Duration
    /// Whether the brokers answer offset-by-time lookups; the mock cluster does not.
    private let brokerFindsTimestamps: Bool
    private let logger: Logger
    private let state: LockedValue<State>
    private let stopping = StopFlag()
    private let pollThread = DedicatedThread(name: "switchyard-kafka-consumer")

    /// Reaches the cluster and subscribes to the topic. The group assigns partitions later, once it
    /// has rebalanced; receives wait until then.
    static func make(
        topic: String,
        options: ConsumerOptions,
        configuration: KafkaConfiguration,
        brokerFindsTimestamps: Bool,
        logger: Logger
    ) async throws(SwitchyardError) -> KafkaConsumerDriver {
        let reset =
            switch options.startPosition {
            case .earliest, .timestamp: "earliest"
            case .latest, .committed: "latest"
            }
        let conf = try RDKafkaConf.make(configuration.clientProperties([
            ("group.id", options.group ?? "switchyard-private-\(MessageID.generate())"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", reset),
            ("queued.max.messages.kbytes", "16384"),
            ("fetch.wait.max.ms", KafkaConfiguration.consumerFetchWaitMilliseconds),
        ]))
        rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_FETCH) | RDKafkaEvents.common)
        let handle = try RDKafkaConf.makeHandle(RD_KAFKA_CONSUMER, conf: conf, what: "consumer")
        rd_kafka_poll_set_consumer(handle)
        let queue = rd_kafka_queue_get_consumer(handle)!
        rd_kafka_set_log_queue(handle, queue)
        let driver = KafkaConsumerDriver(
            handle: handle, queue: queue, topic: topic, options: options, configuration: configuration,
            brokerFindsTimestamps: brokerFindsTimestamps, logger: logger
        )
        driver.pollThread.start { [driver] in driver.poll() }
        guard await driver.waitForStart(timeout: configuration.connectTimeout) else {
            let failure = driver.state.withLock { $0.startFailure }
            try? await driver.close()
            if let failure { throw failure }
            throw SwitchyardError(
                .brokerUnavailable,
                "The consumer could not reach the Kafka cluster within \(configuration.connectTimeout). Check kafka.bootstrapServers and that the cluster is up, then retry."
            )
        }
        return driver
    }

    private init(
        handle: OpaquePointer, queue: OpaquePointer, topic: String, options: ConsumerOptions, configuration: KafkaConfiguration,
        brokerFindsTimestamps: Bool, logger: Logger
    ) {
        self.brokerFindsTimestamps = brokerFindsTimestamps
        self.handle = handle
        self.queue = queue
        self.topic = topic
        self.options = options
        self.commits = options.group != nil
        self.commitInterval = configuration.commitInterval
        self.connectTimeout = configuration.connectTimeout
        self.revokeGracePeriod = configuration.revokeGracePeriod
        self.logger = logger
        self.state = LockedValue(State(ledger: ConsumerLedger(prefetch: options.prefetch)))
    }

    // MARK: ConsumerDriver

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ReceivedMessage], any Error>) in
                let immediate: Result<[ReceivedMessage], any Error>? = state.withLock { state in
                    if state.closed {
                        return .failure(SwitchyardError(.consumerClosed, "The consumer is closed. Create a new consumer to receive more messages."))
                    }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    let batch = state.ledger.take(maxMessages)
                    if !batch.isEmpty { return .success(batch) }
                    state.waiters.append(Waiter(id: id, maxMessages: maxMessages, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
        try settle { ledger throws(SwitchyardError) in try ledger.ack(token) }
    }

    func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
        try settle { ledger throws(SwitchyardError) in try ledger.requeue(token) }
    }

    func release(_ tokens: [DeliveryToken]) {
        try? settle { ledger in ledger.release(tokens) }
    }

    func close() async throws(SwitchyardError) {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: []) }
        resolveStartWait(false)
        stopping.raise()
        await pollThread.join()
    }

    private func settle(_ change: (inout ConsumerLedger) throws(SwitchyardError) -> Void) throws(SwitchyardError) {
        let ready = try state.withLock { state throws(SwitchyardError) in
            if state.closed {
                throw SwitchyardError(.consumerClosed, "The consumer is closed; its unacked messages go to the group's other consumers.")
            }
            try change(&state.ledger)
            if state.fetchPaused && state.queueOpen && !state.ledger.isFull {
                // Room again: wake the poll thread at once to resume fetching, rather than at its
                // next poll timeout. Yielding is thread-safe and never blocks.
                state.fetchPaused = false
                rd_kafka_queue_yield(queue)
            }
            return Self.serveWaiters(&state)
        }
        for (waiter, batch) in ready { waiter.continuation.resume(returning: batch) }
    }

    /// Hands waiting receives what is ready, oldest receive first.
    private static func serveWaiters(_ state: inout State) -> [(Waiter, [ReceivedMessage])] {
        var served: [(Waiter, [ReceivedMessage])] = []
        while let waiter = state.waiters.first {
            let batch = state.ledger.take(waiter.maxMessages)
            if batch.isEmpty { break }
            state.waiters.removeFirst()
            served.append((waiter, batch))
        }
        return served
    }

    /// How many deliveries this consumer holds in memory, fetched or out with the application.
    var heldCount: Int { state.withLock { $0.ledger.heldCount } }

    // MARK: Joining

    private func waitForStart(timeout: Duration) async -> Bool {
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            state.withLock { $0.startTimedOut = true }
            resolveStartWait(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let known: Bool? = state.withLock { state in
                if state.started { return true }
                if state.closed || state.startFailure != nil || state.startTimedOut { return false }
                state.startWaiter = continuation
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    private func resolveStartWait(_ started: Bool) {
        let waiter = state.withLock { state in
            defer { state.startWaiter = nil }
            return state.startWaiter
        }
        waiter?.resume(returning: started)
    }

    // MARK: The poll thread

    /// A fetched record, decoded, waiting to be added to the ledger.
    private typealias Fetched = (message: Message, partition: Int32, offset: Int64)

    /// The most events served in one burst, between backpressure and commit checks.
    private static let burstLimit = 1000

    private func poll() {
        start()
        var paused = false
        var nextCommit = ContinuousClock.now + commitInterval
        while !stopping.isRaised {
            if ContinuousClock.now >= nextCommit {
                commitAcked()
                nextCommit = .now + commitInterval
            }
            paused = applyBackpressure(paused: paused)
            let untilCommit = KafkaConfiguration.milliseconds(nextCommit - .now)
            guard let first = rd_kafka_queue_poll(queue, min(50, Int32(untilCommit) ?? 50)) else { continue }
            // Serve what is already queued in one burst, adding records to the ledger together, but
            // never more records than the prefetch has room for, so pausing stays prompt.
            let room = max(1, options.prefetch - state.withLock { $0.ledger.heldCount })
            var records: [Fetched] = []
            var served = 0
            var next: OpaquePointer? = first
            while let event = next {
                switch rd_kafka_event_type(event) {
                case RD_KAFKA_EVENT_FETCH:
                    if let record = fetched(event) { records.append(record) }
                case RD_KAFKA_EVENT_REBALANCE:
                    add(records)
                    records = []
                    rebalance(event)
                    paused = false
                case RD_KAFKA_EVENT_OFFSET_COMMIT:
                    commitFinished(event)
                case RD_KAFKA_EVENT_LOG:
                    RDKafkaEvents.log(event, to: logger)
                case RD_KAFKA_EVENT_ERROR:
                    let (code, text, isFatal) = RDKafkaEvents.error(event)
                    logger.log(
                        level: isFatal ? .error : .warning,
                        "Kafka consumer error",
                        metadata: ["topic": "\(topic)", "code": "\(String(cString: rd_kafka_err2name(code)))", "detail": "\(text)"]
                    )
                default:
                    break
                }
                rd_kafka_event_destroy(event)
                served += 1
                next = served < Self.burstLimit && records.count < room ? rd_kafka_queue_poll(queue, 0) : nil
            }
            add(records)
        }
        leaveGroup()
    }

    /// Checks that the cluster answers, then subscribes to the topic, and ends the start wait either way.
    private func start() {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let reached = rd_kafka_metadata(handle, 0, nil, &metadata, Int32(KafkaConfiguration.milliseconds(connectTimeout)) ?? 30_000)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard reached == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let error = KafkaErrorMapping.error(reached, "Reaching the Kafka cluster")
            state.withLock { $0.startFailure = SwitchyardError(.brokerUnavailable, error.message, isRetriable: true) }
            resolveStartWait(false)
            return
        }
        let subscription = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(subscription) }
        rd_kafka_topic_partition_list_add(subscription, topic, switchyard_partition_unassigned)
        let result = rd_kafka_subscribe(handle, subscription)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            state.withLock { $0.startFailure = KafkaErrorMapping.error(result, "Subscribing to '\(topic)'") }
            resolveStartWait(false)
            return
        }
        state.withLock { $0.started = true }
        resolveStartWait(true)
    }

    /// Commits what the acks made final, then leaves the group, serving the rebalance events that
    /// closing brings, and destroys the handle.
    private func leaveGroup() {
        commitNow(nil)
        state.withLock { state in state.ledger.revoke(state.ledger.assigned) }
        if let error = rd_kafka_consumer_close_queue(handle, queue) {
            logger.warning("Closing the Kafka consumer failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Closing the consumer"))"])
        }
        while rd_kafka_consumer_closed(handle) == 0 {
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_REBALANCE:
                rebalance(event)
            case RD_KAFKA_EVENT_LOG:
                RDKafkaEvents.log(event, to: logger)
            default:
                break
            }
            rd_kafka_event_destroy(event)
        }
        state.withLock { $0.queueOpen = false }
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// The record a fetch event carries, or `nil` for a fetch error, which is logged.
    private func fetched(_ event: OpaquePointer) -> Fetched? {
        guard let record = rd_kafka_event_message_next(event) else { return nil }
        let code = record.pointee.err
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if code != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                logger.warning("Kafka fetch error", metadata: ["topic": "\(topic)", "detail": "\(KafkaErrorMapping.error(code, "Fetching"))"])
            }
            return nil
        }
        return (RDKafkaRecord.message(from: record, topic: topic), record.pointee.partition, record.pointee.offset)
    }

    /// Adds fetched records to the ledger and hands them to waiting receives.
    private func add(_ records: [Fetched]) {
        guard !records.isEmpty else { return }
        let served = state.withLock { state -> [(Waiter, [ReceivedMessage])] in
            var added = false
            for record in records {
                added = state.ledger.add(record.message, partition: record.partition, offset: record.offset) || added
            }
            return added ? Self.serveWaiters(&state) : []
        }
        for (waiter, batch) in served { waiter.continuation.resume(returning: batch) }
    }

    private func rebalance(_ event: OpaquePointer) {
        let code = rd_kafka_event_error(event)
        let partitions = rd_kafka_event_topic_partition_list(event)
        let ids = partitions.map(Self.partitionIDs) ?? []
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            var skipping: [Int32: Int64] = [:]
            if let partitions, case .timestamp(let microseconds) = options.startPosition {
                skipping = position(partitions, at: microseconds)
            }
            let carried = state.withLock { $0.ledger.takeCarried() }
            var resuming: [Int32: ConsumerLedger.Resumption] = [:]
            if let partitions {
                resuming = resume(partitions, after: carried)
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    logger.error("Kafka assign failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Assigning partitions"))"])
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            state.withLock { state in
                state.ledger.assign(ids, skipping: skipping, resuming: resuming)
            }
            logger.debug(
                "Kafka partitions assigned",
                metadata: ["topic": "\(topic)", "partitions": "\(ids.sorted())", "resuming": "\(resuming.mapValues(\.next))"]
            )
        default:
            if code != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS {
                logger.warning("Kafka rebalance failed", metadata: ["detail": "\(KafkaErrorMapping.error(code, "Rebalancing"))"])
            }
            // Lost partitions may already belong to another member: committing for them could
            // overwrite the new owner's progress, so only a clean revoke waits for the deliveries out
            // from them and commits.
            if rd_kafka_assignment_lost(handle) == 0 {
                state.withLock { $0.ledger.beginRevoking(ids) }
                awaitSettlement(of: ids)
                commitNow(ids)
            }
            state.withLock { state in state.ledger.revoke(ids) }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("Kafka unassign failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Revoking partitions"))"])
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
            logger.debug("Kafka partitions revoked", metadata: ["topic": "\(topic)", "partitions": "\(ids.sorted())"])
        }
    }

    /// Waits, up to the revoke grace period, until no delivery from `ids` is out with the application,
    /// so that what is being processed now is acked here rather than delivered again to the new owner.
    /// The group's rebalance waits meanwhile; heartbeats go on in librdkafka's own threads.
    private func awaitSettlement(of ids: [Int32]) {
        let deadline = ContinuousClock.now + revokeGracePeriod
        while !stopping.isRaised, ContinuousClock.now < deadline, state.withLock({ $0.ledger.outstandingCount(in: ids) }) > 0 {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    /// Positions each partition that has no committed offset at the first record published at or after
    /// `microseconds`, and returns those partitions, which skip any earlier record they still meet.
    ///
    /// The brokers' offset-by-time lookup finds the position when they offer it; otherwise (on the mock
    /// cluster) the partition is read from its beginning and the records before the time are skipped.
    private func position(_ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, at microseconds: Int64) -> [Int32: Int64] {
        let timeout: Int32 = 10_000
        let committed = rd_kafka_topic_partition_list_copy(partitions)!
        defer { rd_kafka_topic_partition_list_destroy(committed) }
        let lookedUp = rd_kafka_committed(handle, committed, timeout)
        let times = rd_kafka_topic_partition_list_copy(partitions)!
        defer { rd_kafka_topic_partition_list_destroy(times) }
        for index in 0..<Int(times.pointee.cnt) {
            times.pointee.elems[index].offset = microseconds / 1000
        }
        let found = brokerFindsTimestamps ? rd_kafka_offsets_for_times(handle, times, timeout) : RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED
        var skipping: [Int32: Int64] = [:]
        for index in 0..<Int(partitions.pointee.cnt) {
            if lookedUp == RD_KAFKA_RESP_ERR_NO_ERROR && committed.pointee.elems[index].offset >= 0 { continue }
            let byTime = times.pointee.elems[index]
            let usable = found == RD_KAFKA_RESP_ERR_NO_ERROR && byTime.err == RD_KAFKA_RESP_ERR_NO_ERROR
            partitions.pointee.elems[index].offset = usable ? byTime.offset : switchyard_offset_beginning
            skipping[partitions.pointee.elems[index].partition] = microseconds
        }
        return skipping
    }

    /// Starts an asynchronous commit of every moved commit point, unless one is in flight; its result
    /// arrives as an offset-commit event on the consumer queue.
    private func commitAcked() {
        guard commits else { return }
        let started = state.withLock { state -> (number: UInt, points: [ConsumerLedger.CommitPoint])? in
            guard state.commitInFlight == nil else { return nil }
            let points = state.ledger.commitPoints()
            guard !points.isEmpty else { return nil }
            state.lastCommitNumber += 1
            state.commitInFlight = (state.lastCommitNumber, points)
            return (state.lastCommitNumber, points)
        }
        guard let started else { return }
        let list = partitionList(started.points)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_commit_queue(handle, list, queue, nil, UnsafeMutableRawPointer(bitPattern: started.number))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            state.withLock { $0.commitInFlight = nil }
            commitFailed(result)
        }
    }

    /// Records the result of an asynchronous commit; a failed one is retried at the next commit.
    private func commitFinished(_ event: OpaquePointer) {
        let number = UInt(bitPattern: rd_kafka_event_opaque(event))
        let code = rd_kafka_event_error(event)
        var failed = code
        if code == RD_KAFKA_RESP_ERR_NO_ERROR, let offsets = rd_kafka_event_topic_partition_list(event) {
            for index in 0..<Int(offsets.pointee.cnt) where offsets.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failed = offsets.pointee.elems[index].err
            }
        }
        state.withLock { state in
            guard let inFlight = state.commitInFlight, inFlight.number == number else { return }
            state.commitInFlight = nil
            if failed == RD_KAFKA_RESP_ERR_NO_ERROR { state.ledger.committed(inFlight.points) }
        }
        if failed != RD_KAFKA_RESP_ERR_NO_ERROR { commitFailed(failed) }
    }

    /// Commits the moved commit points of `ids`, or of every partition, and waits for the result.
    /// A failure is logged; the progress stays in the ledger, to be committed later or carried over.
    private func commitNow(_ ids: [Int32]?) {
        guard commits else { return }
        let points = state.withLock { $0.ledger.commitPoints(for: ids) }
        guard !points.isEmpty else { return }
        let list = partitionList(points)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_commit(handle, list, 0)
        if result == RD_KAFKA_RESP_ERR_NO_ERROR {
            state.withLock { $0.ledger.committed(points) }
        } else {
            commitFailed(result)
        }
    }

    /// Logs a refused commit: at debug level while the group rebalances, when refusals are expected.
    private func commitFailed(_ code: rd_kafka_resp_err_t) {
        let expected = [RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR__NO_OFFSET].contains(code)
        logger.log(
            level: expected ? .debug : .warning,
            "Kafka offset commit failed; retrying later",
            metadata: ["topic": "\(topic)", "detail": "\(KafkaErrorMapping.error(code, "Committing offsets"))"]
        )
    }

    private func partitionList(_ points: [ConsumerLedger.CommitPoint]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(points.count))!
        for point in points {
            rd_kafka_topic_partition_list_add(list, topic, point.partition).pointee.offset = point.offset
        }
        return list
    }

    /// For the partitions of a new assignment that this consumer made uncommitted progress on before
    /// the rebalance (`carried`), positions each whose committed offset is behind that progress right
    /// after it, and returns those partitions. If the committed offsets cannot be read, nothing is
    /// resumed and the partitions start at their committed offsets, redelivering that progress.
    private func resume(
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        after carried: [Int32: Int64]
    ) -> [Int32: ConsumerLedger.Resumption] {
        guard commits, !carried.isEmpty else { return [:] }
        let committed = rd_kafka_topic_partition_list_copy(partitions)!
        defer { rd_kafka_topic_partition_list_destroy(committed) }
        let lookedUp = rd_kafka_committed(handle, committed, 10_000)
        guard lookedUp == RD_KAFKA_RESP_ERR_NO_ERROR else {
            logger.warning(
                "Reading committed offsets failed; partitions start at their committed offsets",
                metadata: ["topic": "\(topic)", "detail": "\(KafkaErrorMapping.error(lookedUp, "Reading committed offsets"))"]
            )
            return [:]
        }
        var offsets: [Int32: Int64?] = [:]
        for index in 0..<Int(committed.pointee.cnt) where committed.pointee.elems[index].err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let offset = committed.pointee.elems[index].offset
            offsets[committed.pointee.elems[index].partition] = offset >= 0 ? offset : nil
        }
        let resuming = ConsumerLedger.resumptions(carried: carried, committed: offsets)
        for index in 0..<Int(partitions.pointee.cnt) {
            if let resumption = resuming[partitions.pointee.elems[index].partition] {
                partitions.pointee.elems[index].offset = resumption.next
            }
        }
        return resuming
    }

    /// Pauses every assigned partition while the prefetch bound is reached, and resumes them after.
    private func applyBackpressure(paused: Bool) -> Bool {
        let full = state.withLock { state in
            state.fetchPaused = state.ledger.isFull
            return state.ledger.isFull
        }
        guard full != paused else { return paused }
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return paused }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        if full {
            rd_kafka_pause_partitions(handle, assignment)
        } else {
            rd_kafka_resume_partitions(handle, assignment)
        }
        return full
    }

    private static func partitionIDs(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [Int32] {
        (0..<Int(list.pointee.cnt)).map { list.pointee.elems[$0].partition }
    }
}
