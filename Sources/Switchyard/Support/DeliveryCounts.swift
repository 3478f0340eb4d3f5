/// How many times each message id was delivered: the count behind the delivery tallies of the
/// contract suite and the demo, which both judge what arrived by id (missing, duplicated, unexpected).
package struct DeliveryCounts: Sendable {
    private var counts: [String: Int] = [:]
    /// Deliveries of an id that had been delivered before.
    package private(set) var redeliveries = 0

    package init() {}

    /// Counts one delivery of `id`; returns whether it is the first of that id.
    @discardableResult
    package mutating func record(_ id: String) -> Bool {
        counts[id, default: 0] += 1
        if counts[id] == 1 { return true }
        redeliveries += 1
        return false
    }

    /// How many distinct ids were delivered.
    package var distinct: Int { counts.count }

    /// Whether `id` was delivered at least once.
    package func contains(_ id: String) -> Bool {
        counts[id] != nil
    }

    /// The ids of `ids` that were never delivered, in their order.
    package func missing(from ids: some Sequence<String>) -> [String] {
        ids.filter { counts[$0] == nil }
    }

    /// The delivered ids that are not among `ids`, sorted.
    package func unexpected(besides ids: Set<String>) -> [String] {
        counts.keys.filter { !ids.contains($0) }.sorted()
    }

    /// The ids delivered more than once, with how often, sorted by id.
    package var duplicated: [(id: String, count: Int)] {
        counts.filter { $0.value > 1 }.map { (id: $0.key, count: $0.value) }.sorted { $0.id < $1.id }
    }
}
