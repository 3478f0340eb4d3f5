import Switchyard

/// Whether the gateway is serving, with a way to wait for the moment it begins to shut down.
///
/// The health service reports it, and long-lived streams that wait on their clients (such as
/// `Publish`) race it, so that shutdown never waits on a client.
final class GatewayLifecycle: Sendable {
    private let state = LockedValue(State())

    private struct State {
        var isShuttingDown = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    /// Whether shutdown has begun.
    var isShuttingDown: Bool { state.withLock { $0.isShuttingDown } }

    /// Marks the start of shutdown and wakes every waiter. Later calls do nothing.
    func beginShutdown() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isShuttingDown else { return [] }
            state.isShuttingDown = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when shutdown begins, or when the task is cancelled.
    func waitForShutdown() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.isShuttingDown || Task.isCancelled { return true }
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
