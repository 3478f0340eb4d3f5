import Foundation

/// An OS thread of its own for a C library's blocking calls (librdkafka's queue polls, commits and
/// destroys; rabbitmq-c's socket reads), so none of them ever runs on Swift's cooperative thread pool.
///
/// The thread is detached: nothing joins it at the OS level. ``join()`` waits, without blocking, until
/// the body has returned and everything the body captured has been released. That release happens on
/// the thread itself, so a C handle whose owner the body holds last is freed there, off the pool.
package final class DedicatedThread: Sendable {
    private struct State {
        var finished = false
        var joiners: [CheckedContinuation<Void, Never>] = []
    }

    /// The body, boxed so that one retained pointer can cross `pthread_create`.
    private final class Launch {
        let thread: DedicatedThread
        let body: @Sendable () -> Void
        init(thread: DedicatedThread, body: @escaping @Sendable () -> Void) {
            self.thread = thread
            self.body = body
        }
    }

    private let state = LockedValue(State())
    private let name: String

    /// Prepares a thread called `name` (Linux keeps its first 15 bytes); ``start(_:)`` runs it.
    package init(name: String) {
        self.name = name
    }

    /// Runs `body` on the new thread. Call it once.
    ///
    /// - Throws: `internalError` when the OS cannot create another thread; `body` is then released
    ///   without running.
    package func start(_ body: @escaping @Sendable () -> Void) throws(SwitchyardError) {
        let context = Unmanaged.passRetained(Launch(thread: self, body: body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            var launch: Launch? = Unmanaged<Launch>.fromOpaque(context!).takeRetainedValue()
            let owner = launch!.thread
            owner.nameCurrentThread()
            launch!.body()
            // Release the body, and what it holds, here on this thread before telling the joiners.
            launch = nil
            owner.finish()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Launch>.fromOpaque(context).release()
            throw SwitchyardError(
                .internalError,
                "Could not start the thread '\(name)' (error \(created)); the process is out of threads or memory. Close unused producers and consumers, then retry."
            )
        }
        pthread_detach(thread)
    }

    /// Returns once the thread's body has returned and been released.
    package func join() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state in
                if !state.finished { state.joiners.append(continuation) }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }

    /// Runs one blocking `body` on a thread of its own and returns its result.
    ///
    /// - Throws: `internalError` when the OS cannot create the thread.
    package static func run<Result: Sendable>(name: String, _ body: @escaping @Sendable () -> Result) async throws(SwitchyardError) -> Result {
        let outcome: Swift.Result<Result, SwitchyardError> = await withCheckedContinuation { continuation in
            do throws(SwitchyardError) {
                try DedicatedThread(name: name).start { continuation.resume(returning: .success(body())) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try outcome.get()
    }

    private func nameCurrentThread() {
        Thread.current.name = name
    }

    private func finish() {
        let joiners = state.withLock { state in
            state.finished = true
            defer { state.joiners = [] }
            return state.joiners
        }
        for joiner in joiners { joiner.resume() }
    }
}
