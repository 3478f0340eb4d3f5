/// What happened to an id that left the window, remembered for the last ``capacity`` ids, so that a
/// repeat or a late copy is recognised.
///
/// Ids are held by their 64-bit digest: two different ids that share one are taken for the same, with a
/// probability of about n²/2⁶⁵ for n remembered ids.
struct SettledIDs: Sendable {
    enum Outcome: Sendable, Equatable {
        /// Both sides delivered it.
        case matched
        /// Only `seenOn` delivered it before it was given up on; `unexpected` says how it was counted
        /// (unexpected on `seenOn`, or missing on the other side).
        case givenUp(seenOn: ComparisonSide, unexpected: Bool)
    }

    struct Entry: Sendable {
        var outcome: Outcome
        /// When the first copy arrived.
        var firstSeenAt: Int64
    }

    private var entries: [UInt64: Entry] = [:]
    private var order: [UInt64] = []
    private var oldest = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    subscript(digest: UInt64) -> Entry? {
        entries[digest]
    }

    /// Remembers `digest`, forgetting the oldest remembered id when full.
    mutating func insert(_ digest: UInt64, _ entry: Entry) {
        if entries.updateValue(entry, forKey: digest) != nil { return }
        if order.count < capacity {
            order.append(digest)
        } else {
            entries.removeValue(forKey: order[oldest])
            order[oldest] = digest
            oldest = (oldest + 1) % capacity
        }
    }

    /// Changes what is remembered of `digest`, if it is still remembered.
    mutating func update(_ digest: UInt64, outcome: Outcome) {
        entries[digest]?.outcome = outcome
    }
}
