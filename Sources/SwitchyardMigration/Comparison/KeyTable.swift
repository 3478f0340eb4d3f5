/// First deliveries per key and side, and each side's per-key order, for at most
/// ``ComparisonLimits/maxTrackedKeys`` keys.
///
/// Order is judged by ``Switchyard/Message/publishedAt``: a delivery is an inversion when the same side
/// already delivered a message of its key that was published later. Messages without a key or without a
/// publish time have no order to keep.
struct KeyTable: Sendable {
    /// An order inversion found by ``record(key:side:publishedAt:)``.
    struct Inversion: Sendable, Equatable {
        var displacement: Int
        var isLowerBound: Bool
    }

    /// One side's recent deliveries of one key.
    struct SideOrder: Sendable {
        var latestPublishedAt = Int64.min
        /// Publish times of the latest deliveries, a ring once full.
        var recent: [Int64] = []
        var next = 0
        var count = 0
        var inversions = 0
    }

    struct Row: Sendable {
        let key: [UInt8]?
        var primary = SideOrder()
        var secondary = SideOrder()
    }

    /// Rows by the ``ContentDigest`` of their key (0 for no key).
    private var index = DigestIndex()
    private(set) var rows: [Row] = []
    private(set) var untracked = [0, 0]
    let maxKeys: Int
    let history: Int

    init(maxKeys: Int, history: Int) {
        self.maxKeys = max(1, maxKeys)
        self.history = max(1, history)
    }

    /// Counts a first delivery and checks its order. Returns the inversion it makes, if any.
    mutating func record(key: [UInt8]?, side: ComparisonSide, publishedAt: Int64?) -> Inversion? {
        let digest = key.map { ContentDigest.of($0) } ?? 0
        let row: Int
        if let existing = index.position(of: digest, where: { rows[$0].key == key }) {
            row = existing
        } else if rows.count < maxKeys {
            row = rows.count
            index.insert(digest, position: row)
            rows.append(Row(key: key))
        } else {
            untracked[side.index] += 1
            return nil
        }
        let ordered = key == nil ? nil : publishedAt
        return side == .primary
            ? Self.count(&rows[row].primary, publishedAt: ordered, history: history)
            : Self.count(&rows[row].secondary, publishedAt: ordered, history: history)
    }

    /// Counts a first delivery on `order`'s side and, with a publish time, checks its order.
    private static func count(_ order: inout SideOrder, publishedAt: Int64?, history: Int) -> Inversion? {
        order.count += 1
        guard let publishedAt else { return nil }
        var inversion: Inversion?
        if publishedAt < order.latestPublishedAt {
            let overtaken = order.recent.reduce(0) { $0 + ($1 > publishedAt ? 1 : 0) }
            let full = order.recent.count == history
            inversion = Inversion(displacement: max(1, overtaken), isLowerBound: overtaken == 0 || (full && overtaken == history))
            order.inversions += 1
        } else {
            order.latestPublishedAt = publishedAt
        }
        if order.recent.count < history {
            order.recent.append(publishedAt)
        } else {
            order.recent[order.next] = publishedAt
            order.next = order.next + 1 == history ? 0 : order.next + 1
        }
        return inversion
    }
}
