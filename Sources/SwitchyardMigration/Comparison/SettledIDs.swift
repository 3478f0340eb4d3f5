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

    /// The remembered ids in the order they were first remembered, a ring once full.
    private var ring: [(digest: UInt64, entry: Entry)] = []
    private var oldest = 0
    private var index = DigestIndex()
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        // Address space only: pages are touched as the ring fills, and it is never copied to grow.
        ring.reserveCapacity(self.capacity)
    }

    var count: Int { index.count }

    subscript(digest: UInt64) -> Entry? {
        position(of: digest).map { ring[$0].entry }
    }

    private func position(of digest: UInt64) -> Int? {
        index.position(of: digest) { ring[$0].digest == digest }
    }

    /// Remembers `digest`, forgetting the oldest remembered id when full.
    mutating func insert(_ digest: UInt64, _ entry: Entry) {
        if let known = position(of: digest) {
            ring[known].entry = entry
        } else if ring.count < capacity {
            index.insert(digest, position: ring.count)
            ring.append((digest, entry))
        } else {
            index.remove(ring[oldest].digest, position: oldest)
            index.insert(digest, position: oldest)
            ring[oldest] = (digest, entry)
            oldest = (oldest + 1) % capacity
        }
    }

    /// Changes what is remembered of `digest`, if it is still remembered.
    mutating func update(_ digest: UInt64, outcome: Outcome) {
        if let known = position(of: digest) { ring[known].entry.outcome = outcome }
    }
}
