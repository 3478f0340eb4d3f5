import CRdKafka
import Logging
import Switchyard

/// The poll thread of one Kafka consumer, and the only owner of its librdkafka handle and queue.
///
/// It serves the consumer queue in bursts (records into the ledger, rebalances, commit results, logs,
/// errors), commits on a timer, and pauses fetching at the prefetch bound. It shares only the
/// ``ConsumerSession`` with the driver. Once ``ConsumerSession/stopping`` is raised, by `close()` or
/// by the driver's deinit, it commits what was acked, closes the consumer (leaving the group), and
/// ends; the handle is destroyed as the thread lets go of this object, on the thread itself.
final class ConsumerPollLoop: @unchecked Sendable {
    // @unchecked Sendable is safe: the loop is handed to its thread when it starts, and from then on
    // only that thread uses it; what it shares with other threads is in `session`, behind its lock.

    let client: RDKafkaClient
    let queue: RDKafkaQueue
    let session: ConsumerSession
    let topic: String
    let options: ConsumerOptions
    /// Whether this consumer commits offsets: only a named group does.
    let commits: Bool
    let commitInterval: Duration
    let connectTimeout: Duration
    let revokeGracePeriod: Duration
    /// Whether the brokers answer offset-by-time lookups; the mock cluster does not.
    let brokerFindsTimestamps: Bool
    let logger: Logger

    /// Creates the consumer handle and starts its poll thread, which checks that the cluster answers
    /// and subscribes to `topic`. Returns what the driver keeps: the session and the thread, never the
    /// loop, so that only the thread holds the handle.
    static func start(
        topic: String,
        options: ConsumerOptions,
        configuration: KafkaConfiguration,
        brokerFindsTimestamps: Bool,
        logger: Logger
    ) throws(SwitchyardError) -> (ConsumerSession, DedicatedThread) {
        let reset =
            switch options.startPosition {
            case .earliest, .timestamp: "earliest"
            case .latest, .committed: "latest"
            }
        let client = try RDKafkaClient(
            RD_KAFKA_CONSUMER,
            properties: configuration.clientProperties([
                ("group.id", options.group ?? "switchyard-private-\(MessageID.generate())"),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", reset),
                ("queued.max.messages.kbytes", "16384"),
                ("fetch.wait.max.ms", KafkaConfiguration.consumerFetchWaitMilliseconds),
            ]),
            events: Int32(RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_FETCH) | RDKafkaEvents.common,
            what: "consumer"
        )
        let queue = RDKafkaQueue.consumer(of: client)
        let session = ConsumerSession(prefetch: options.prefetch, wake: queue)
        let loop = ConsumerPollLoop(
            client: client, queue: queue, session: session, topic: topic, options: options, configuration: configuration,
            brokerFindsTimestamps: brokerFindsTimestamps, logger: logger
        )
        let thread = DedicatedThread(name: "kafka-consumer")
        do throws(SwitchyardError) {
            try thread.start { loop.run() }
        } catch {
            session.state.withLock { $0.wake = nil }
            throw error
        }
        return (session, thread)
    }

    private init(
        client: RDKafkaClient, queue: RDKafkaQueue, session: ConsumerSession, topic: String, options: ConsumerOptions,
        configuration: KafkaConfiguration, brokerFindsTimestamps: Bool, logger: Logger
    ) {
        self.client = client
        self.queue = queue
        self.session = session
        self.topic = topic
        self.options = options
        self.commits = options.group != nil
        self.commitInterval = configuration.commitInterval
        self.connectTimeout = configuration.connectTimeout
        self.revokeGracePeriod = configuration.revokeGracePeriod
        self.brokerFindsTimestamps = brokerFindsTimestamps
        self.logger = logger
    }

    var handle: OpaquePointer { client.pointer }

    /// A fetched record, decoded, waiting to be added to the ledger.
    typealias Fetched = (message: Message, partition: Int32, offset: Int64)

    /// How long a resume waits, at most, for the leaders to answer the request that wakes their fetchers.
    private static let fetcherWakeTimeoutMilliseconds: Int32 = 100

    /// The most events served in one burst, between backpressure and commit checks.
    private static let burstLimit = 1000

    private func run() {
        subscribe()
        var paused = false
        var nextCommit = ContinuousClock.now + commitInterval
        // One buffer for every burst's records, emptied after each hand-over to the ledger.
        var records: [Fetched] = []
        while !session.stopping.isRaised {
            if ContinuousClock.now >= nextCommit {
                commitAcked()
                nextCommit = .now + commitInterval
            }
            paused = applyBackpressure(paused: paused)
            guard let first = queue.poll(min(50, (nextCommit - .now).timeoutMilliseconds)) else { continue }
            // Serve what is already queued in one burst, adding records to the ledger together, but
            // never more records than the prefetch has room for, so pausing stays prompt.
            let room = max(1, options.prefetch - session.state.withLock { $0.ledger.heldCount })
            var served = 0
            var next: OpaquePointer? = first
            while let event = next {
                switch rd_kafka_event_type(event) {
                case RD_KAFKA_EVENT_FETCH:
                    if let record = fetched(event) { records.append(record) }
                case RD_KAFKA_EVENT_REBALANCE:
                    add(records)
                    records.removeAll(keepingCapacity: true)
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
                next = served < Self.burstLimit && records.count < room ? queue.poll(0) : nil
            }
            add(records)
            records.removeAll(keepingCapacity: true)
        }
        leaveGroup()
    }

    /// Checks that the cluster answers, then subscribes to the topic, and ends the start wait either way.
    private func subscribe() {
        if case .failure(let error) = client.fetchMetadata(
            timeoutMilliseconds: connectTimeout.timeoutMilliseconds,
            context: "Reaching the Kafka cluster"
        ) {
            session.state.withLock { $0.startFailure = SwitchyardError(.brokerUnavailable, error.message, isRetriable: true) }
            session.resolveStartWait(false)
            return
        }
        let subscription = RDKafkaPartitionList(capacity: 1)
        subscription.add(topic, partition: switchyard_partition_unassigned, offset: switchyard_offset_invalid)
        let result = subscription.withList { rd_kafka_subscribe(handle, $0) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            session.state.withLock { $0.startFailure = KafkaErrorMapping.error(result, "Subscribing to '\(topic)'") }
            session.resolveStartWait(false)
            return
        }
        session.state.withLock { $0.started = true }
        session.resolveStartWait(true)
    }

    /// Commits what the acks made final, then leaves the group, serving the rebalance events that
    /// closing brings. The session lets go of the queue, so this thread holds the last references to
    /// the queue and the handle, and destroys them when it ends.
    private func leaveGroup() {
        commitNow(nil)
        session.state.withLock { state in state.ledger.revoke(state.ledger.assigned) }
        if let error = rd_kafka_consumer_close_queue(handle, queue.pointer) {
            logger.warning("Closing the Kafka consumer failed", metadata: ["detail": "\(KafkaErrorMapping.consume(error, "Closing the consumer"))"])
        }
        while rd_kafka_consumer_closed(handle) == 0 {
            guard let event = queue.poll(100) else { continue }
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
        // Closing ends with the leave's answer, whose log line may still be queued.
        while let event = queue.poll(0) {
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_LOG { RDKafkaEvents.log(event, to: logger) }
            rd_kafka_event_destroy(event)
        }
        session.state.withLock { $0.wake = nil }
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
    func add(_ records: [Fetched]) {
        guard !records.isEmpty else { return }
        let served = session.state.withLock { state -> [(ConsumerSession.Waiter, [ReceivedMessage])] in
            var added = false
            for record in records {
                added = state.ledger.add(record.message, partition: record.partition, offset: record.offset) || added
            }
            return added ? ConsumerSession.serveWaiters(&state) : []
        }
        for (waiter, batch) in served { waiter.continuation.resume(returning: batch) }
    }

    /// Pauses every assigned partition once the prefetch bound is reached, and resumes them once the
    /// consumer holds at most half of it.
    private func applyBackpressure(paused: Bool) -> Bool {
        let full = session.state.withLock { state in
            state.fetchPaused = paused ? !state.ledger.hasRoomToResume : state.ledger.isFull
            return state.fetchPaused
        }
        guard full != paused else { return paused }
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return paused }
        RDKafkaPartitionList(owning: assignment).withList { assignment in
            if full {
                _ = rd_kafka_pause_partitions(handle, assignment)
            } else {
                _ = rd_kafka_resume_partitions(handle, assignment)
                wakeFetchers(assignment)
            }
        }
        return full
    }

    /// Makes the partitions' leaders look at their fetch lists now. librdkafka (2.0) serves a resume on
    /// its main thread without waking the broker threads, so a fetcher with every partition paused
    /// noticed it only at its next idle wake, up to a second later; a request to each leader wakes it.
    /// The request asks for the partitions' latest offsets, and its answer is not used.
    private func wakeFetchers(_ assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        guard let latest = rd_kafka_topic_partition_list_copy(assignment) else { return }
        let list = RDKafkaPartitionList(owning: latest)
        list.withList { list in
            for index in 0..<Int(list.pointee.cnt) { list.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_END) }
            _ = rd_kafka_offsets_for_times(handle, list, Self.fetcherWakeTimeoutMilliseconds)
        }
    }
}
