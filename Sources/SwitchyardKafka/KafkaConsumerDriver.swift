import Logging
import Switchyard

/// One member of a Kafka consumer group on one topic, over one librdkafka consumer handle.
///
/// A dedicated thread, the ``ConsumerPollLoop``, owns the handle and makes every blocking librdkafka
/// call: it polls the consumer queue (records, rebalances, commit results, logs, errors), commits the
/// contiguous acked prefix of each partition asynchronously within ``KafkaConfiguration/commitInterval``
/// of the acks that moved it, and synchronously on every revoke and on close, and pauses fetching while
/// the prefetch bound is reached. Receives wait on continuations that the thread resumes.
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
///
/// The poll thread does not keep the driver alive. A driver dropped without ``close()`` stops its
/// thread from its deinit; the thread then commits what was acked, leaves the group, destroys the
/// handle and ends, just as after `close()`, except that nothing waits for it.
final class KafkaConsumerDriver: ConsumerDriver {
    private let session: ConsumerSession
    private let pollThread: DedicatedThread

    /// Reaches the cluster and subscribes to the topic. The group assigns partitions later, once it
    /// has rebalanced; receives wait until then.
    static func make(
        topic: String,
        options: ConsumerOptions,
        configuration: KafkaConfiguration,
        brokerFindsTimestamps: Bool,
        logger: Logger
    ) async throws(SwitchyardError) -> KafkaConsumerDriver {
        let (session, pollThread) = try ConsumerPollLoop.start(
            topic: topic, options: options, configuration: configuration, brokerFindsTimestamps: brokerFindsTimestamps, logger: logger
        )
        let driver = KafkaConsumerDriver(session: session, pollThread: pollThread)
        guard await driver.waitForStart(timeout: configuration.connectTimeout) else {
            let failure = session.state.withLock { $0.startFailure }
            try? await driver.close()
            if let failure { throw failure }
            throw SwitchyardError(
                .brokerUnavailable,
                "The consumer could not reach the Kafka cluster within \(configuration.connectTimeout). Check kafka.bootstrapServers and that the cluster is up, then retry."
            )
        }
        return driver
    }

    private init(session: ConsumerSession, pollThread: DedicatedThread) {
        self.session = session
        self.pollThread = pollThread
    }

    deinit {
        session.close()
    }

    // MARK: ConsumerDriver

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        let state = session.state
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
                    state.waiters.append(ConsumerSession.Waiter(id: id, maxMessages: maxMessages, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> ConsumerSession.Waiter? in
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

    /// Acks the whole batch under the consumer's one lock, without suspending: each offset is marked
    /// acked in the ledger, and the next commit stores every partition's contiguous acked prefix.
    func ack(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        try settle { ledger throws(SwitchyardError) in
            try Self.settleEach(tokens, in: &ledger) { ledger, token throws(SwitchyardError) in try ledger.ack(token) }
        }
    }

    /// Requeues the whole batch under the consumer's one lock; the batch keeps its order at the front
    /// of the line.
    func requeue(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        try settle { ledger throws(SwitchyardError) in
            try Self.settleEach(tokens.reversed(), in: &ledger) { ledger, token throws(SwitchyardError) in try ledger.requeue(token) }
        }
    }

    func release(_ tokens: [DeliveryToken]) {
        try? settle { ledger in ledger.release(tokens) }
    }

    func close() async throws(SwitchyardError) {
        session.close()
        await pollThread.join()
    }

    /// Applies `settlement` to every token, then throws the first failure: tokens that can be settled
    /// are, whatever happens to the others.
    private static func settleEach(
        _ tokens: some Sequence<DeliveryToken>,
        in ledger: inout ConsumerLedger,
        _ settlement: (inout ConsumerLedger, DeliveryToken) throws(SwitchyardError) -> Void
    ) throws(SwitchyardError) {
        var failure: SwitchyardError?
        for token in tokens {
            do {
                try settlement(&ledger, token)
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    private func settle(_ change: (inout ConsumerLedger) throws(SwitchyardError) -> Void) throws(SwitchyardError) {
        let ready = try session.state.withLock { state throws(SwitchyardError) in
            if state.closed {
                throw SwitchyardError(.consumerClosed, "The consumer is closed; its unacked messages go to the group's other consumers.")
            }
            try change(&state.ledger)
            if state.fetchPaused, let wake = state.wake, state.ledger.hasRoomToResume {
                // Room again: wake the poll thread at once to resume fetching, rather than at its
                // next poll timeout. Yielding is thread-safe and never blocks.
                state.fetchPaused = false
                wake.yield()
            }
            return ConsumerSession.serveWaiters(&state)
        }
        for (waiter, batch) in ready { waiter.continuation.resume(returning: batch) }
    }

    /// How many deliveries this consumer holds in memory, fetched or out with the application.
    var heldCount: Int { session.state.withLock { $0.ledger.heldCount } }

    // MARK: Joining

    private func waitForStart(timeout: Duration) async -> Bool {
        let session = session
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            session.state.withLock { $0.startTimedOut = true }
            session.resolveStartWait(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let known: Bool? = session.state.withLock { state in
                if state.started { return true }
                if state.closed || state.startFailure != nil || state.startTimedOut { return false }
                state.startWaiter = continuation
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }
}
