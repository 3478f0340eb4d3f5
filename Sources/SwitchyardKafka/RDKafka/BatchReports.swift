import Switchyard

/// Collects the delivery reports of one batch send, by index, until the expected number has arrived.
final class BatchReports: Sendable {
    private struct State {
        var outcomes: [Int: KafkaProducerDriver.Outcome] = [:]
        var expected: Int?
        var waiter: CheckedContinuation<[Int: KafkaProducerDriver.Outcome], Never>?
    }

    private let state = LockedValue(State())

    /// Records the report of the message at `index`.
    func record(_ outcome: KafkaProducerDriver.Outcome, at index: Int) {
        let finished = state.withLock { state -> (CheckedContinuation<[Int: KafkaProducerDriver.Outcome], Never>, [Int: KafkaProducerDriver.Outcome])? in
            state.outcomes[index] = outcome
            guard let expected = state.expected, state.outcomes.count == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.outcomes)
        }
        if let (waiter, outcomes) = finished { waiter.resume(returning: outcomes) }
    }

    /// Returns every report once `count` have been recorded.
    func wait(for count: Int) async -> [Int: KafkaProducerDriver.Outcome] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Int: KafkaProducerDriver.Outcome]? in
                state.expected = count
                if state.outcomes.count == count { return state.outcomes }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
