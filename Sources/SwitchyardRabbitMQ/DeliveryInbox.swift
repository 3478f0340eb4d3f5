import DequeModule
import Switchyard

/// The deliveries a consumer's connection has received, shared between its owner thread (which adds
/// them) and the tasks that receive and settle them.
///
/// The broker's prefetch bounds what it holds, except on stream queues, which deliver whole chunks
/// and can overshoot it; so the inbox itself never hands out more than `limit` unsettled deliveries,
/// and a receive waits for a settlement when the limit is reached. A delivery belongs to the channel epoch it arrived
/// on: after a reconnect the broker redelivers everything unacknowledged, so older deliveries are
/// dropped and can no longer be settled.
final class DeliveryInbox: Sendable {
    private struct Waiter {
        let id: UInt64
        let maxMessages: Int
        let continuation: CheckedContinuation<[ReceivedMessage], any Error>
    }

    private struct State {
        var buffer = Deque<ReceivedMessage>()
        var handedOut: [UInt64: ReceivedMessage] = [:]
        var epoch: UInt64?
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = LockedValue(State())
    private let limit: Int

    /// - Parameter limit: the most deliveries handed out and not yet settled; the consumer's prefetch.
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for at least one delivery and returns up to `maxMessages`; see ``ConsumerDriver/receive(maxMessages:)``.
    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ReceivedMessage], any Error>) in
                state.withLock { state in
                    if state.closed {
                        continuation.resume(throwing: SwitchyardError(.consumerClosed, "The consumer is closed. Create a new consumer to receive more messages."))
                    } else if !state.buffer.isEmpty, state.handedOut.count < limit {
                        continuation.resume(returning: take(maxMessages, from: &state))
                    } else if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        state.waiters.append(Waiter(id: id, maxMessages: maxMessages, continuation: continuation))
                    }
                }
            }
        } onCancel: {
            state.withLock { state in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    state.waiters.remove(at: index).continuation.resume(throwing: CancellationError())
                }
            }
        }
    }

    /// Starts a new channel epoch; deliveries are accepted from now on.
    func begin(epoch: UInt64) {
        state.withLock { $0.epoch = epoch }
    }

    /// The channel is gone: drops what it delivered, since the broker will deliver it again.
    func invalidate() {
        state.withLock { state in
            state.epoch = nil
            state.buffer.removeAll()
            state.handedOut.removeAll()
        }
    }

    /// Adds a delivery from the owner thread; ``serve()`` hands it out.
    func deliver(_ message: ReceivedMessage) {
        state.withLock { state in
            guard !state.closed, state.epoch == message.token.epoch else { return }
            state.buffer.append(message)
        }
    }

    /// Hands what was delivered to the oldest waiting receive. The owner thread calls it once per
    /// batch of frames it read, so a batch costs one wake-up of the receiving task, not one each.
    func serve() {
        state.withLock { serveWaiter(&$0) }
    }

    /// Claims, under one lock, every one of `tokens` that is still handed out on the current channel.
    /// Returns the claimed tokens' delivery tags, the channel's epoch they belong to, and whether every
    /// token was claimed.
    func claim(_ tokens: [DeliveryToken]) -> (tags: [UInt64], epoch: UInt64?, claimedAll: Bool) {
        state.withLock { state in
            var tags: [UInt64] = []
            tags.reserveCapacity(tokens.count)
            for token in tokens {
                let tag = UInt64(bitPattern: token.sequence)
                if state.epoch == token.epoch, state.handedOut.removeValue(forKey: tag) != nil {
                    tags.append(tag)
                }
            }
            if !tags.isEmpty { serveWaiter(&state) }
            return (tags, state.epoch, tags.count == tokens.count)
        }
    }

    /// Puts deliveries that were never shown to the application back at the front, unchanged.
    func release(_ tokens: [DeliveryToken]) {
        state.withLock { state in
            let returned = tokens.reversed().compactMap { token -> ReceivedMessage? in
                guard state.epoch == token.epoch else { return nil }
                return state.handedOut.removeValue(forKey: UInt64(bitPattern: token.sequence))
            }
            for message in returned { state.buffer.prepend(message) }
            serveWaiter(&state)
        }
    }

    /// Refuses further receives and ends the waiting ones with no messages.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            state.buffer.removeAll()
            state.handedOut.removeAll()
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: []) }
    }

    /// Hands buffered deliveries to the waiting receives, oldest first, while the limit leaves room.
    private func serveWaiter(_ state: inout State) {
        while !state.waiters.isEmpty, !state.buffer.isEmpty, state.handedOut.count < limit {
            let waiter = state.waiters.removeFirst()
            waiter.continuation.resume(returning: take(waiter.maxMessages, from: &state))
        }
    }

    private func take(_ maxMessages: Int, from state: inout State) -> [ReceivedMessage] {
        let count = min(maxMessages, state.buffer.count, limit - state.handedOut.count)
        let taken = Array(state.buffer.prefix(count))
        state.buffer.removeFirst(count)
        for message in taken {
            state.handedOut[UInt64(bitPattern: message.token.sequence)] = message
        }
        return taken
    }
}
