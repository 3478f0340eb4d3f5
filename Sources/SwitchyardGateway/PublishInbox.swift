import DequeModule
import Switchyard

/// The requests of one `Publish` stream that have been read but not yet sent, bounded in count and in
/// bytes, so a client that writes faster than the backend acknowledges waits for room instead of
/// growing the gateway's memory.
///
/// One task puts, another takes; the putting task ends the inbox with ``finish(throwing:)``.
final class PublishInbox: Sendable {
    private struct State {
        var requests: Deque<Switchyard_V1_PublishRequest> = []
        var bytes = 0
        /// Set once no more requests will come: `nil` for the end of the stream, or why it failed.
        var end: (any Error)??
    }

    /// What ``take(max:)`` found.
    private enum Taken {
        case requests([Switchyard_V1_PublishRequest])
        case finished
        case failed(any Error)
        case nothing
    }

    private let state = LockedValue(State())
    private let arrived = WakeSignal()
    private let room = WakeSignal()
    private let maxRequests: Int
    private let maxBytes: Int

    /// An inbox that holds at most `maxRequests` requests and `maxBytes` payload bytes; a request is
    /// always taken into an empty inbox, whatever its size.
    init(maxRequests: Int, maxBytes: Int) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
    }

    /// Adds `request`, waiting while the inbox is full.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while it waits.
    func put(_ request: Switchyard_V1_PublishRequest) async throws {
        let size = request.message.payload.count
        while true {
            let added = state.withLock { state in
                guard state.requests.isEmpty || (state.requests.count < maxRequests && state.bytes + size <= maxBytes) else {
                    return false
                }
                state.requests.append(request)
                state.bytes += size
                return true
            }
            if added {
                arrived.wake()
                return
            }
            try Task.checkCancellation()
            await room.wait()
        }
    }

    /// Ends the inbox: what it holds is still taken, then ``take(max:)`` returns `nil`, or throws `error`.
    func finish(throwing error: (any Error)?) {
        state.withLock { $0.end = .some(error) }
        arrived.wake()
    }

    /// The oldest requests held, at most `max` and at least one, waiting while there are none.
    ///
    /// - Returns: `nil` once the inbox is finished and empty.
    /// - Throws: The error the inbox was finished with, once it is empty; `CancellationError` when the
    ///   task is cancelled while it waits.
    func take(max: Int) async throws -> [Switchyard_V1_PublishRequest]? {
        while true {
            let taken = state.withLock { state -> Taken in
                if !state.requests.isEmpty {
                    let count = min(max, state.requests.count)
                    let requests = Array(state.requests.prefix(count))
                    state.requests.removeFirst(count)
                    state.bytes -= requests.reduce(0) { $0 + $1.message.payload.count }
                    return .requests(requests)
                }
                switch state.end {
                case .some(.some(let error)): return .failed(error)
                case .some(.none): return .finished
                case .none: return .nothing
                }
            }
            switch taken {
            case .requests(let requests):
                room.wake()
                return requests
            case .finished:
                return nil
            case .failed(let error):
                throw error
            case .nothing:
                try Task.checkCancellation()
                await arrived.wait()
            }
        }
    }
}
