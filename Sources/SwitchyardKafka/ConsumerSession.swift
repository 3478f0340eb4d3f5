import Switchyard

/// What a Kafka consumer's API and its poll thread share: the ledger of deliveries, the waiting
/// receives, the start wait and the stop flag.
///
/// The driver and the poll thread each hold it; the poll thread never holds the driver, so a driver
/// dropped without `close()` is freed, and its deinit raises ``stopping`` for the thread to leave the
/// group and free the handle.
final class ConsumerSession: Sendable {
    struct Waiter {
        var id: UInt64
        var maxMessages: Int
        var continuation: CheckedContinuation<[ReceivedMessage], any Error>
    }

    struct State {
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
        /// The poll thread's queue while it exists, so a settlement may wake the thread through it.
        var wake: RDKafkaQueue?
        /// The asynchronous commit in flight, by the number its result event carries, and what it commits.
        var commitInFlight: (number: UInt, points: [ConsumerLedger.CommitPoint])?
        var lastCommitNumber: UInt = 0
    }

    let state: LockedValue<State>
    /// Raised by `close()` or by the driver's deinit; the poll thread then leaves the group and ends.
    let stopping = StopFlag()

    init(prefetch: Int, wake: RDKafkaQueue) {
        state = LockedValue(State(ledger: ConsumerLedger(prefetch: prefetch), wake: wake))
    }

    /// Hands waiting receives what is ready, oldest receive first.
    static func serveWaiters(_ state: inout State) -> [(Waiter, [ReceivedMessage])] {
        var served: [(Waiter, [ReceivedMessage])] = []
        while let waiter = state.waiters.first {
            let batch = state.ledger.take(waiter.maxMessages)
            if batch.isEmpty { break }
            state.waiters.removeFirst()
            served.append((waiter, batch))
        }
        return served
    }

    /// Ends the wait of `make`, if it still waits, with whether the consumer started.
    func resolveStartWait(_ started: Bool) {
        let waiter = state.withLock { state in
            defer { state.startWaiter = nil }
            return state.startWaiter
        }
        waiter?.resume(returning: started)
    }

    /// Marks the consumer closed, ends every waiting receive with an empty batch and the start wait with
    /// `false`, and raises ``stopping``.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: []) }
        resolveStartWait(false)
        stopping.raise()
    }
}
