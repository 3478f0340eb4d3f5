/// An open-addressing table from 64-bit digests to positions in a caller's storage, for the comparison's
/// per-message lookups: it hashes nothing (a digest is already well mixed), allocates only when it
/// grows, and takes eight bytes a slot, so that a large table stays as cache-friendly as it can.
///
/// A slot keeps 32 bits of the digest and the position; the caller's storage holds the rest, and a
/// lookup asks the caller which of the candidate positions is the one it wants, so the table itself
/// never takes two different items for the same. Several positions may share a digest. It probes
/// linearly and deletes by shifting entries back, so it never fills with tombstones, and it keeps at
/// least half its slots free. Positions must stay below 2³² - 1.
struct DigestIndex: Sendable {
    private struct Slot: Sendable {
        /// The high half of the digest; its low bits choose the slot the entry belongs in.
        var tag: UInt32
        /// The position plus one; 0 marks a free slot.
        var storedPosition: UInt32
    }

    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init() {
        slots = Array(repeating: Slot(tag: 0, storedPosition: 0), count: 16)
        mask = 15
    }

    @inline(__always)
    private static func tag(_ digest: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: digest >> 32)
    }

    @inline(__always)
    private func home(_ tag: UInt32) -> Int {
        Int(tag) & mask
    }

    /// The first position under `digest` that `matches` accepts.
    @inline(__always)
    func position(of digest: UInt64, where matches: (Int) -> Bool) -> Int? {
        let tag = Self.tag(digest)
        var index = home(tag)
        while true {
            let slot = slots[index]
            if slot.storedPosition == 0 { return nil }
            if slot.tag == tag, matches(Int(slot.storedPosition) - 1) { return Int(slot.storedPosition) - 1 }
            index = (index + 1) & mask
        }
    }

    /// Adds `position` under `digest`.
    mutating func insert(_ digest: UInt64, position: Int) {
        precondition(position < Int(UInt32.max), "DigestIndex: position \(position) is beyond 32 bits")
        if 2 * (count + 1) > slots.count { grow() }
        place(Slot(tag: Self.tag(digest), storedPosition: UInt32(position + 1)))
        count += 1
    }

    /// Removes `position` from under `digest`; it must be there.
    mutating func remove(_ digest: UInt64, position: Int) {
        var hole = index(of: digest, position: position)
        var next = (hole + 1) & mask
        while slots[next].storedPosition != 0 {
            if (next &- home(slots[next].tag)) & mask >= (next &- hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole].storedPosition = 0
        count -= 1
    }

    /// Moves the entry for `position` under `digest` to `newPosition`; it must be there.
    mutating func move(_ digest: UInt64, from position: Int, to newPosition: Int) {
        slots[index(of: digest, position: position)].storedPosition = UInt32(newPosition + 1)
    }

    private func index(of digest: UInt64, position: Int) -> Int {
        let wanted = Slot(tag: Self.tag(digest), storedPosition: UInt32(position + 1))
        var index = home(wanted.tag)
        while slots[index].tag != wanted.tag || slots[index].storedPosition != wanted.storedPosition {
            precondition(slots[index].storedPosition != 0, "DigestIndex: removing or moving an entry it does not hold")
            index = (index + 1) & mask
        }
        return index
    }

    private mutating func place(_ slot: Slot) {
        var index = home(slot.tag)
        while slots[index].storedPosition != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(tag: 0, storedPosition: 0), count: 2 * old.count)
        mask = slots.count - 1
        for slot in old where slot.storedPosition != 0 {
            place(slot)
        }
    }
}
