import Switchyard

/// One copy sent straight to the secondary, as the send that started it waits for it: the first of the
/// copy's own outcome, its deadline, or the ``SecondaryBreaker`` opening decides, and the send then
/// stops waiting. The copy itself runs on; what it does after the decision only adds a duplicate.
final class DirectCopy: Sendable {
    enum Outcome: Sendable {
        /// The secondary acknowledged the copy.
        case acknowledged
        /// The secondary refused the copy, or some of it.
        case failed(SwitchyardError)
        /// The secondary did not answer before the deadline.
        case timedOut
        /// Another copy failed or timed out, so the secondary is known to be failing.
        case abandoned
    }

    private struct State {
        var outcome: Outcome?
        var waiter: CheckedContinuation<Outcome, Never>?
    }

    private let state = LockedValue(State())

    /// Settles the outcome unless it is settled already; returns whether this call settled it.
    @discardableResult
    func decide(_ outcome: Outcome) -> Bool {
        let (decided, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Outcome, Never>?) in
            guard state.outcome == nil else { return (false, nil) }
            state.outcome = outcome
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: outcome)
        return decided
    }

    /// The outcome, settling it as ``Outcome/timedOut`` at `deadline` (or at once, when the waiting
    /// task is cancelled) if nothing settled it before.
    func outcome(deadline: ContinuousClock.Instant) async -> Outcome {
        if let settled = state.withLock({ $0.outcome }) { return settled }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Cancelled once the outcome is known, or with the waiting task; either way it ends here.
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.decide(.timedOut)
            }
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let settled = state.withLock { state -> Outcome? in
                    if let outcome = state.outcome { return outcome }
                    state.waiter = continuation
                    return nil
                }
                if let settled { continuation.resume(returning: settled) }
            }
            group.cancelAll()
            return outcome
        }
    }
}
