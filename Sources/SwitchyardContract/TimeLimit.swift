/// Bounds the suite's waits without trusting the backend under test to honour cancellation.
enum TimeLimit {
    /// How a bounded piece of work ended.
    enum Ending<T: Sendable>: Sendable {
        /// It ended by itself within the limit, like this.
        case finished(Result<T, any Error>)
        /// It was still running at the limit, was cancelled, and then ended within the grace period, like
        /// this. A value here is real: a receive that returns deliveries after its cancellation took them.
        case cancelled(Result<T, any Error>)
        /// It was still running at the limit and kept running through the grace period after it was
        /// cancelled. It is no longer awaited.
        case abandoned
    }

    /// Runs `body` for up to `limit`; if it is still running then, cancels it and waits up to `grace` more
    /// for it to end, so that nothing it finishes at the last moment is lost.
    ///
    /// `body` runs in a task of its own, so that a backend which ignores cancellation fails the case
    /// instead of hanging the whole suite. Throws `CancellationError` when the calling task is cancelled.
    static func race<T: Sendable>(
        _ limit: Duration,
        grace: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> Ending<T> {
        let (events, sink) = AsyncStream<Event<T>>.makeStream()
        let work = Task {
            do {
                sink.yield(.ended(.success(try await body())))
            } catch {
                sink.yield(.ended(.failure(error)))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            sink.yield(.limitReached)
            try? await Task.sleep(for: grace)
            sink.yield(.graceOver)
        }
        defer {
            timer.cancel()
            sink.finish()
        }
        var limitReached = false
        for await event in events {
            switch event {
            case .ended(let result):
                return limitReached ? .cancelled(result) : .finished(result)
            case .limitReached:
                limitReached = true
                work.cancel()
            case .graceOver:
                return .abandoned
            }
        }
        work.cancel()
        throw CancellationError()
    }

    /// Runs `body` and returns its value, or `nil` when it has not ended within `limit`.
    ///
    /// For work whose late result would only confirm a failure already reported, or whose result does
    /// not matter once the wait is over; a wait that passes on timeout uses ``race(_:grace:_:)``.
    static func run<T: Sendable>(
        _ limit: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        guard case .finished(let result) = try await race(limit, grace: .zero, body) else { return nil }
        return try result.get()
    }

    /// Runs `body` and returns its value, or throws the violation `onTimeout` describes when it has not
    /// finished within `limit`.
    static func deadline<T: Sendable>(
        _ limit: Duration,
        onTimeout: @Sendable () -> ContractViolation,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let value = try await run(limit, body) else { throw onTimeout() }
        return value
    }

    /// Starts `body`, cancels it after `delay` if it is still running, and returns how it ended.
    ///
    /// Throws a violation naming `what` when `body` is still running `grace` after its cancellation.
    static func cancelling<T: Sendable>(
        _ what: String,
        after delay: Duration,
        grace: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        switch try await race(delay, grace: grace, body) {
        case .finished(let result), .cancelled(let result):
            return result
        case .abandoned:
            throw ContractViolation(expected: "\(what) to end within \(grace) of its cancellation", seen: "it kept running")
        }
    }

    private enum Event<T: Sendable>: Sendable {
        case ended(Result<T, any Error>)
        case limitReached
        case graceOver
    }
}
