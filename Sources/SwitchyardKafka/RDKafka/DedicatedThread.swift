import Foundation
import Switchyard

/// An OS thread of its own for librdkafka's blocking calls (queue polls, commits, flushes, destroys),
/// so none of them ever runs on Swift's cooperative thread pool.
final class DedicatedThread: Sendable {
    private struct State {
        var finished = false
        var joiners: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedValue(State())
    private let name: String

    /// Prepares a thread called `name`; ``start(_:)`` runs it.
    init(name: String) {
        self.name = name
    }

    /// Runs `body` on the new thread. Call it once.
    func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            Thread.current.name = name
            body()
            let joiners = state.withLock { state in
                state.finished = true
                defer { state.joiners = [] }
                return state.joiners
            }
            for joiner in joiners { joiner.resume() }
        }
        thread.start()
    }

    /// Returns once the thread's body has returned.
    func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state in
                if !state.finished { state.joiners.append(continuation) }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }

    /// Runs one blocking `body` on a thread of its own and returns its result.
    static func run<Result: Sendable>(name: String, _ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            DedicatedThread(name: name).start { continuation.resume(returning: body()) }
        }
    }
}
