import GRPCCore
import Switchyard

/// An event that happens once, such as the start of the gateway's shutdown or a client going away, that
/// any number of tasks can wait for.
final class OneShotSignal: Sendable {
    private let state = LockedValue(State())

    private struct State {
        var hasFired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    /// Whether the event has happened.
    var hasFired: Bool { state.withLock { $0.hasFired } }

    /// Marks the event and wakes every waiter. Later calls do nothing.
    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.hasFired else { return [] }
            state.hasFired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the event happens, or when the task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.hasFired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// Runs the body of a streaming call until it returns, the client goes away, or the gateway shuts down.
///
/// grpc-swift does not cancel a handler's task when its client disconnects or the server shuts down; it
/// only signals the call's cancellation. This turns both into cancelling `body`, so that a handler
/// blocked on a client that stopped reading, or waiting for messages on a quiet topic, still ends, and
/// shutdown never waits on a client.
///
/// - Throws: what `body` throws; `RPCError` `UNAVAILABLE` when the gateway shuts down first.
func runStream(until shutdown: OneShotSignal, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let clientGone = OneShotSignal()
    try await withRPCCancellationHandler {
        try await withThrowingTaskGroup { group in
            group.addTask { try await body() }
            group.addTask {
                await shutdown.wait()
                if !Task.isCancelled {
                    throw RPCError(code: .unavailable, message: "the gateway is shutting down; reconnect, and resume from your last position")
                }
            }
            group.addTask {
                await clientGone.wait()
                if !Task.isCancelled { throw CancellationError() }
            }
            try await group.next()
            group.cancelAll()
        }
    } onCancelRPC: {
        clientGone.fire()
    }
}

extension RPCError.Code {
    /// The status code's canonical name, such as `RESOURCE_EXHAUSTED`, as the protocol's string fields
    /// carry it.
    var canonicalName: String {
        let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]
        let value = Status.Code(self).rawValue
        return names.indices.contains(value) ? names[value] : "UNKNOWN"
    }
}
