import Switchyard

/// Collects the delivery reports of one send, by the index of each message in it, until every message
/// librdkafka accepted has its report.
final class BatchReports: Sendable {
    private struct State {
        var outcomes: [KafkaProducerDriver.Outcome?]
        var recorded = 0
        var expected: Int?
        var waiter: CheckedContinuation<[KafkaProducerDriver.Outcome?], Never>?
    }

    private let state: LockedValue<State>

    /// Room for the reports of `count` messages.
    init(count: Int) {
        state = LockedValue(State(outcomes: Array(repeating: nil, count: count)))
    }

    /// Records reports, each with its message's index, all under one lock.
    func record(_ reports: some Sequence<(Int, KafkaProducerDriver.Outcome)>) {
        let finished = state.withLock { state -> (CheckedContinuation<[KafkaProducerDriver.Outcome?], Never>, [KafkaProducerDriver.Outcome?])? in
            for (index, outcome) in reports {
                state.outcomes[index] = outcome
                state.recorded += 1
            }
            guard let expected = state.expected, state.recorded == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.outcomes)
        }
        if let (waiter, outcomes) = finished { waiter.resume(returning: outcomes) }
    }

    /// Returns the reports, by message index, once `count` have been recorded; an index without a
    /// report is `nil`.
    func wait(for count: Int) async -> [KafkaProducerDriver.Outcome?] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [KafkaProducerDriver.Outcome?]? in
                state.expected = count
                if state.recorded == count { return state.outcomes }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
