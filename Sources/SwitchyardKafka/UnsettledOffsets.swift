import DequeModule

/// The offsets of one partition that were fetched and not yet acked, in the order fetched.
///
/// Offsets are added in increasing order, so they are kept in a ring with a settled flag each: acking
/// marks an offset (found by binary search) and drops the settled ones from the front, so the lowest
/// unsettled offset is always first. This costs no hashing and no allocation per delivery.
struct UnsettledOffsets {
    private var offsets: Deque<Int64> = []
    private var settled: Deque<Bool> = []

    /// The lowest offset not yet acked.
    var lowest: Int64? { offsets.first }

    var isEmpty: Bool { offsets.isEmpty }

    /// Adds an offset above every one added before.
    mutating func append(_ offset: Int64) {
        offsets.append(offset)
        settled.append(false)
    }

    /// Marks `offset` acked; an offset not held is ignored.
    mutating func settle(_ offset: Int64) {
        var low = 0
        var high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < offset { low = middle + 1 } else { high = middle }
        }
        guard low < offsets.count, offsets[low] == offset else { return }
        settled[low] = true
        while settled.first == true {
            settled.removeFirst()
            offsets.removeFirst()
        }
    }
}
