/// Bounds the suite's waits without trusting the backend under test to honour cancellation.
enum TimeLimit {
    /// Runs `body` and returns its value, or `nil` when it has not finished within `limit`.
    ///
    /// On timeout `body` is cancelled and no longer awaited: it runs in a task of its own precisely so
    /// that a backend which ignores cancellation fails the case instead of hanging the whole suite.
    static func run<T: Sendable>(
        _ limit: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let (outcomes, sink) = AsyncStream<Result<T, any Error>?>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let work = Task {
            do {
                sink.yield(.success(try await body()))
            } catch {
                sink.yield(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            sink.yield(nil)
        }
        defer { timer.cancel() }
        var iterator = outcomes.makeAsyncIterator()
        guard let first = await iterator.next() else {
            work.cancel()
            throw CancellationError()
        }
        guard let finished = first else {
            work.cancel()
            return nil
        }
        return try finished.get()
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
    static func cancelling<T: Sendable>(
        after delay: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async -> Result<T, any Error> {
        await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: delay)
                return nil
            }
            var ended: Result<T, any Error> = .failure(CancellationError())
            while let next = await group.next() {
                group.cancelAll()
                if let next { ended = next }
            }
            return ended
        }
    }
}
