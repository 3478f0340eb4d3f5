/// Gathers the outcomes of one batch send, by the index of each message in it, and hands them to the
/// sender once as many as it waits for are in.
///
/// Outcomes may arrive on any thread, in any order, before or after the sender starts waiting. The
/// first outcome recorded for an index counts; a later one for the same index is ignored.
package final class BatchOutcomes<Outcome: Sendable>: Sendable {
    private struct State {
        var outcomes: [Outcome?]
        var recorded = 0
        var expected: Int?
        var waiter: CheckedContinuation<[Outcome?], Never>?
    }

    private let state: LockedValue<State>

    /// Room for the outcomes of `count` messages.
    package init(count: Int) {
        state = LockedValue(State(outcomes: Array(repeating: nil, count: count)))
    }

    /// Records the outcome of the message at `index`.
    package func record(_ outcome: Outcome, at index: Int) {
        record(CollectionOfOne((index, outcome)))
    }

    /// Records outcomes, each with its message's index, all under one lock.
    package func record(_ outcomes: some Sequence<(Int, Outcome)>) {
        let finished = state.withLock { state -> (CheckedContinuation<[Outcome?], Never>, [Outcome?])? in
            for (index, outcome) in outcomes where state.outcomes[index] == nil {
                state.outcomes[index] = outcome
                state.recorded += 1
            }
            guard let expected = state.expected, state.recorded == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.outcomes)
        }
        if let (waiter, outcomes) = finished { waiter.resume(returning: outcomes) }
    }

    /// Returns the outcomes, by message index, once `count` have been recorded; an index without an
    /// outcome is `nil`. Call it once.
    package func wait(for count: Int) async -> [Outcome?] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Outcome?]? in
                state.expected = count
                if state.recorded == count { return state.outcomes }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
