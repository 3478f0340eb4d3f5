/// Tells a command when to stop early, as Ctrl-C does for the `switchyard` executable.
public protocol StopRequests: Sendable {
    /// Returns when a stop is requested, or as soon as the calling task is cancelled.
    func wait() async
}

/// Never requests a stop: the command runs until it is done.
public struct NoStopRequests: StopRequests {
    public init() {}

    public func wait() async {
        let (never, continuation) = AsyncStream<Never>.makeStream()
        await withTaskCancellationHandler {
            for await _ in never {}
        } onCancel: {
            continuation.finish()
        }
    }
}

extension StopRequests {
    /// Runs `work` until it returns or a stop is requested. On a stop request the task running `work` is
    /// cancelled and its result still awaited, so `work` must return what it has done when cancelled.
    /// - Returns: What `work` returned, and whether a stop was requested before it returned.
    func run<Result: Sendable>(_ work: @escaping @Sendable () async throws -> Result) async throws -> (result: Result, stopped: Bool) {
        try await withThrowingTaskGroup(of: StopEvent<Result>.self) { group in
            group.addTask { .finished(try await work()) }
            group.addTask {
                await wait()
                return .stopRequested
            }
            var result: Result?
            var stopped = false
            for try await event in group {
                switch event {
                case .finished(let value): result = value
                case .stopRequested: stopped = result == nil
                }
                group.cancelAll()
            }
            // `work` ends with a value or an error, and an error has been thrown by now.
            guard let result else { throw CancellationError() }
            return (result, stopped)
        }
    }
}

private enum StopEvent<Result: Sendable>: Sendable {
    case finished(Result)
    case stopRequested
}
