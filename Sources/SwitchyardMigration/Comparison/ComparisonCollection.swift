import Logging
import Switchyard

/// Feeds one ``ShadowComparator`` from both sides' consumers, each read by an ``AckingBatchReader``,
/// until the plan says collecting is over and the sides have had their grace window to deliver what
/// they still owe.
package struct ComparisonCollection: Sendable {
    /// When collecting stops.
    package struct Plan: Sendable {
        /// Stop once either side has delivered this many distinct messages.
        package var count: Int?
        /// Stop after this long.
        package var duration: Duration?
        /// Stop after this long with no message on either side.
        package var idleLimit: Duration?
        /// How long the sides may take to deliver what the other already has, after collecting stops.
        package var grace: Duration

        package init(count: Int?, duration: Duration?, idleLimit: Duration?, grace: Duration) {
            self.count = count
            self.duration = duration
            self.idleLimit = idleLimit
            self.grace = grace
        }
    }

    /// Why collecting stopped.
    package enum Ending: String, Sendable {
        case count = "the count was reached"
        case duration = "the duration passed"
        case idle = "no message arrived within --timeout"
        case stopRequested = "a stop was requested"
    }

    private struct State {
        var comparator: ShadowComparator
        var lastMessageAt: ContinuousClock.Instant
        var ending: Ending?
    }

    private let state: LockedValue<State>
    private let logger: Logger

    package init(comparator: ShadowComparator, logger: Logger) {
        state = LockedValue(State(comparator: comparator, lastMessageAt: .now, ending: nil))
        self.logger = logger
    }

    /// Reads both consumers under `plan`, passing a progress line to `progress` four times a second,
    /// until done or until the calling task is cancelled; then both consumers are left for the caller
    /// to close.
    package func run(primary: Consumer, secondary: Consumer, plan: Plan, progress: @escaping @Sendable (String) -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await read(primary, side: .primary) }
            group.addTask { try await read(secondary, side: .secondary) }
            do {
                try await control(plan, progress: progress)
            } catch is CancellationError {
                state.withLock { $0.ending = $0.ending ?? .stopRequested }
            }
            group.cancelAll()
            while let result = await group.nextResult() {
                if case .failure(let error) = result, !(error is CancellationError) { throw error }
            }
        }
    }

    /// Ends the run at `endedAt` and returns the report and why collecting stopped.
    package func finish(at endedAt: Int64) -> (report: ComparisonReport, ending: Ending) {
        state.withLock { state in
            (state.comparator.finish(at: endedAt), state.ending ?? .stopRequested)
        }
    }

    private func read(_ consumer: Consumer, side: ComparisonSide) async throws {
        try await AckingBatchReader(consumer: consumer, label: side.rawValue, batchSize: 256, logger: logger).run { messages in
            state.withLock { state in
                for message in messages {
                    state.comparator.observe(message, on: side, receivedAt: WallClock.nowMicroseconds())
                }
                state.lastMessageAt = .now
            }
        }
    }

    private func control(_ plan: Plan, progress: @Sendable (String) -> Void) async throws {
        let start = ContinuousClock.now
        var drainUntil: ContinuousClock.Instant?
        var shown = start
        while true {
            try await Task.sleep(for: .milliseconds(50))
            let now = ContinuousClock.now
            let wall = WallClock.nowMicroseconds()
            let (figures, idle) = state.withLock { state in
                state.comparator.advance(to: wall)
                return (state.comparator.progress, now - state.lastMessageAt)
            }
            if now - shown >= .milliseconds(250) {
                shown = now
                progress(
                    "compare: primary \(figures.primaryDelivered) secondary \(figures.secondaryDelivered) matched \(figures.matched) "
                        + "waiting \(figures.pending) missing \(figures.missing) mismatched \(figures.mismatched)\(drainUntil == nil ? "" : " (grace)")"
                )
            }
            if let drainUntil {
                if figures.pending == 0 || now >= drainUntil { return }
                continue
            }
            let ending: Ending? =
                if let count = plan.count, max(figures.primaryDelivered, figures.secondaryDelivered) >= count { .count }
                else if let duration = plan.duration, now - start >= duration { .duration }
                else if let idleLimit = plan.idleLimit, idle >= idleLimit { .idle }
                else { nil }
            if let ending {
                state.withLock { state in
                    state.ending = ending
                    state.comparator.closeWindow(at: wall)
                }
                drainUntil = now + plan.grace
            }
        }
    }
}
