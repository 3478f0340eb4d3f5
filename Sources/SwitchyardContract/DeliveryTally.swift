import Switchyard

/// The deliveries one wait collected, in arrival order, checked against the ids expected.
final class DeliveryTally: Sendable {
    struct Arrival: Sendable {
        let delivery: Delivery
        /// Which of the consumers it came from, by index.
        let consumer: Int
    }

    private struct State {
        var expected: [String]
        var expectedSet: Set<String>
        var arrivals: [Arrival] = []
        var counts = DeliveryCounts()
        var batchSizes: [Int] = []
        var tolerated: [String] = []
    }

    private let state: LockedValue<State>

    init(expecting expected: [String]) {
        self.state = LockedValue(State(expected: expected, expectedSet: Set(expected)))
    }

    /// The ids the wait is for, in send order.
    var expected: [String] { state.withLock(\.expected) }

    /// Adds ids to wait for, sent after the ones already expected.
    func expect(_ more: [String]) {
        state.withLock { state in
            state.expected += more
            state.expectedSet.formUnion(more)
        }
    }

    func record(_ batch: [Delivery], from consumer: Int) {
        state.withLock { state in
            state.batchSizes.append(batch.count)
            for delivery in batch {
                state.arrivals.append(Arrival(delivery: delivery, consumer: consumer))
                state.counts.record(delivery.message.id)
            }
        }
    }

    /// Notes a failure the wait was told to tolerate, such as an ack refused while the broker restarts.
    func tolerate(_ failure: String) {
        state.withLock { $0.tolerated.append(failure) }
    }

    var isComplete: Bool {
        state.withLock { state in state.expectedSet.allSatisfy { state.counts.contains($0) } }
    }

    var arrivals: [Arrival] { state.withLock(\.arrivals) }
    var batchSizes: [Int] { state.withLock(\.batchSizes) }
    var tolerated: [String] { state.withLock(\.tolerated) }

    /// The first arrival of each id, in arrival order.
    var firstArrivals: [Delivery] {
        var seen = Set<String>()
        return arrivals.map(\.delivery).filter { seen.insert($0.message.id).inserted }
    }

    var missing: [String] {
        state.withLock { state in state.counts.missing(from: state.expected) }
    }

    /// Ids that arrived more than once, with how often, in a stable order.
    var duplicates: [(id: String, count: Int)] {
        state.withLock { $0.counts.duplicated }
    }

    var unexpected: [String] {
        state.withLock { state in state.counts.unexpected(besides: state.expectedSet) }
    }

    /// Throws unless every expected id arrived exactly once and nothing else arrived.
    func requireExactlyOnce(_ what: String) throws {
        let missing = missing
        let duplicates = duplicates
        let unexpected = unexpected
        guard missing.isEmpty, duplicates.isEmpty, unexpected.isEmpty else {
            throw ContractViolation(expected: "each of the \(expected.count) \(what) exactly once", seen: summary)
        }
    }

    /// What arrived, for a violation report.
    var summary: String {
        var parts = ["\(arrivals.count) deliveries of \(expected.count) expected ids"]
        let missing = missing
        if !missing.isEmpty { parts.append("missing \(ContractViolation.list(missing))") }
        let duplicates = duplicates
        if !duplicates.isEmpty {
            parts.append("duplicated \(ContractViolation.list(duplicates.map { "\($0.id) ×\($0.count)" }))")
        }
        let unexpected = unexpected
        if !unexpected.isEmpty { parts.append("unexpected \(ContractViolation.list(unexpected))") }
        return parts.joined(separator: "; ")
    }
}
