import Logging
import ServiceLifecycle
import Switchyard

extension CommandIO {
    /// Runs `work` until it returns or a graceful shutdown is requested, as the one service of a
    /// `ServiceGroup`. The group owns ``gracefulShutdownSignals`` while `work` runs, and it also
    /// follows a graceful shutdown of the task that calls this (ServiceLifecycleTestKit's
    /// `testGracefulShutdown` trigger, in tests).
    ///
    /// On a shutdown request the task running `work` is cancelled and its result still awaited, so
    /// `work` must return what it has done when cancelled.
    ///
    /// - Returns: What `work` returned, and whether a shutdown was requested before it returned.
    /// - Throws: What `work` throws.
    func runUntilShutdown<Result: Sendable>(
        logger: Logger, _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> (result: Result, stopped: Bool) {
        let service = StoppableWork(work)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: gracefulShutdownSignals,
                logger: logger
            )
        )
        try await group.run()
        // The group returns normally only once the service has returned, and so stored its outcome.
        guard let outcome = service.outcome.withLock({ $0 }) else { throw CancellationError() }
        return outcome
    }
}

/// A command's work as a service that is cancelled on graceful shutdown and keeps what it returned.
private final class StoppableWork<Result: Sendable>: Service {
    private let work: @Sendable () async throws -> Result
    /// What the work returned, and whether a graceful shutdown had been requested by then.
    let outcome = LockedValue<(result: Result, stopped: Bool)?>(nil)

    init(_ work: @escaping @Sendable () async throws -> Result) {
        self.work = work
    }

    func run() async throws {
        let result = try await cancelWhenGracefulShutdown(work)
        let stopped = Task.isShuttingDownGracefully
        outcome.withLock { $0 = (result, stopped) }
    }
}
