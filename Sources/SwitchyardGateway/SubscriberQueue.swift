import DequeModule
import GRPCCore
import Switchyard

/// One subscription's bounded queue between its topic hub, which offers messages, and the stream that
/// writes them to the client.
///
/// The hub never waits for a subscriber: it only appends under the queue's lock. When a slow client lets
/// the queue reach its capacity, the subscription's mode decides:
/// - conflated: the queue keeps only the latest message per key (and every message without a key). If,
///   after that, more than three quarters of the capacity are still queued, the subscription ends with
///   `RESOURCE_EXHAUSTED`
///   (so conflation, which walks the queue, runs at most once per quarter-capacity of messages);
/// - every message: the subscription ends with `RESOURCE_EXHAUSTED`.
///
/// Ending drops what was queued, so memory is freed at once. The replay and snapshot a subscription
/// starts with are not counted against the capacity: they are shared with the hub's window and cache.
final class SubscriberQueue: Sendable {
    /// What happens when the queue is full.
    enum Mode: Sendable {
        case conflated
        case everyMessage
    }

    /// What ``next(max:)`` hands to the writer.
    struct Batch: Sendable {
        var messages: [Switchyard_V1_GatewayMessage]
        /// The batch is the last-value snapshot.
        var isSnapshot: Bool
        /// How many messages conflation replaced since the previous batch.
        var conflated: UInt64
    }

    let mode: Mode
    let capacity: Int
    /// The keys the subscription asked for; `nil` for every key.
    let keys: Set<[UInt8]>?
    private let state: LockedValue<State>
    private let readiness = WakeSignal()

    init(mode: Mode, capacity: Int, keys: Set<[UInt8]>?, snapshot: [StreamEntry], replay: [StreamEntry]) {
        self.mode = mode
        self.capacity = capacity
        self.keys = keys
        state = LockedValue(State(snapshot: snapshot, queue: Deque(replay)))
    }

    private struct State {
        var snapshot: [StreamEntry]
        /// The replay a subscription starts with sits at the front; `uncounted` says how many of the
        /// queue's first entries it holds, so they do not count against the capacity.
        var queue: Deque<StreamEntry>
        var uncounted: Int
        var conflated: UInt64 = 0
        var ending: Ending?
        var onReady: (@Sendable () -> Void)?

        init(snapshot: [StreamEntry], queue: Deque<StreamEntry>) {
            self.snapshot = snapshot
            self.queue = queue
            uncounted = queue.count
        }

        var hasOutput: Bool { !snapshot.isEmpty || !queue.isEmpty || ending != nil }

        mutating func take(max: Int) -> Batch? {
            guard max > 0 else { return nil }
            if !snapshot.isEmpty {
                let count = Swift.min(max, snapshot.count)
                let batch = Batch(messages: snapshot.prefix(count).map(\.wire), isSnapshot: true, conflated: 0)
                snapshot.removeFirst(count)
                return batch
            }
            guard !queue.isEmpty else { return nil }
            let count = Swift.min(max, queue.count)
            let messages = queue.prefix(count).map(\.wire)
            queue.removeFirst(count)
            uncounted = Swift.max(0, uncounted - count)
            defer { conflated = 0 }
            return Batch(messages: messages, isSnapshot: false, conflated: conflated)
        }

        mutating func end(_ ending: Ending) {
            self.ending = ending
            snapshot = []
            queue = []
            uncounted = 0
        }

        /// Keeps the latest entry per key, in the order of those latest entries. Messages without a key
        /// are not conflated: each is kept.
        mutating func conflate() {
            var seen = Set<[UInt8]>()
            var kept: [StreamEntry] = []
            kept.reserveCapacity(queue.count)
            for entry in queue.reversed() where entry.key.map({ seen.insert($0).inserted }) ?? true {
                kept.append(entry)
            }
            conflated += UInt64(queue.count - kept.count)
            queue = Deque(kept.reversed())
            uncounted = 0
        }
    }

    /// Why the subscription ended.
    enum Ending: Sendable {
        /// The client unsubscribed, or the stream was closed normally.
        case finished
        /// The gateway ended it with this status.
        case failed(RPCError)
    }

    /// Appends messages from the hub, applying the mode when the queue is full. Never waits.
    func offer(_ entries: some Sequence<StreamEntry>) {
        let (ready, onReady) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            guard state.ending == nil else { return (false, nil) }
            var appended = false
            for entry in entries {
                state.queue.append(entry)
                appended = true
                guard state.queue.count - state.uncounted > capacity else { continue }
                switch mode {
                case .conflated:
                    state.conflate()
                    if state.queue.count > capacity * 3 / 4 {
                        state.end(
                            .failed(
                                RPCError(
                                    code: .resourceExhausted,
                                    message: "more than \(capacity * 3 / 4) distinct keys are waiting for this slow subscriber; subscribe to fewer keys or read faster"
                                )
                            )
                        )
                    }
                case .everyMessage:
                    state.end(
                        .failed(
                            RPCError(
                                code: .resourceExhausted,
                                message: "this subscriber's queue of \(capacity) messages is full: the client reads slower than the topic is published; read faster, or subscribe with DELIVERY_MODE_CONFLATED"
                            )
                        )
                    )
                }
                if state.ending != nil { break }
            }
            return (appended || state.ending != nil, state.onReady)
        }
        guard ready else { return }
        readiness.wake()
        onReady?()
    }

    /// Ends the subscription. Queued messages are dropped; a writer waiting in ``next(max:)`` wakes.
    /// Only the first ending counts.
    func end(_ ending: Ending) {
        let (ended, onReady) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            guard state.ending == nil else { return (false, nil) }
            state.end(ending)
            return (true, state.onReady)
        }
        guard ended else { return }
        readiness.wake()
        onReady?()
    }

    /// Calls `onReady` whenever the queue gains output (messages or an ending), besides waking a
    /// waiter in ``next(max:)``. A session uses it to serve many queues from one writer.
    func notify(_ onReady: @escaping @Sendable () -> Void) {
        let ready = state.withLock { state in
            state.onReady = onReady
            return state.hasOutput
        }
        if ready { onReady() }
    }

    /// Takes what is ready without waiting: the snapshot first, then up to `max` queued messages.
    ///
    /// - Returns: the batch, or `nil` when nothing is queued.
    /// - Throws: the ending, once the queue is drained of nothing more: `RPCError` for a failure.
    func poll(max: Int) throws(RPCError) -> Batch? {
        try state.withLock { state throws(RPCError) -> Batch? in
            if let ending = state.ending {
                if case .failed(let error) = ending { throw error }
                return nil
            }
            return state.take(max: max)
        }
    }

    /// Whether the subscription has ended.
    var hasEnded: Bool { state.withLock { $0.ending != nil } }

    /// Waits for the next batch.
    ///
    /// - Returns: the batch, or `nil` when the subscription finished normally or the task was cancelled.
    /// - Throws: the status the gateway ended the subscription with.
    func next(max: Int) async throws(RPCError) -> Batch? {
        while !Task.isCancelled {
            if let batch = try poll(max: max) { return batch }
            if hasEnded { return nil }
            await readiness.wait()
        }
        return nil
    }
}
