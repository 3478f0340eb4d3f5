/// The messages waiting for their other side, in the order they arrived, found by id.
///
/// Arrival order is the expiry order: the window gives up on its oldest entries first. A matched entry
/// leaves a gap that keeps its arrival time, and the gaps are dropped once they outnumber the waiting
/// messages, so the order holds at most twice the waiting messages plus a constant.
struct PendingWindow: Sendable {
    private struct Slot: Sendable {
        let firstSeenAt: Int64
        /// `nil` once the message left the window.
        var observation: PendingObservation?
    }

    private var slots: [Slot] = []
    private var head = 0
    private var index = DigestIndex()

    /// The messages waiting.
    var count: Int { index.count }

    /// The entries of the arrival order, waiting or gaps.
    var orderLength: Int { slots.count - head }

    /// Where the waiting message with id `id` (whose digest is `digest`) is.
    func position(of digest: UInt64, id: String) -> Int? {
        index.position(of: digest) { slots[$0].observation.unsafelyUnwrapped.id == id }
    }

    /// The side that delivered the waiting message at `position`.
    func side(at position: Int) -> ComparisonSide {
        slots[position].observation.unsafelyUnwrapped.side
    }

    /// Takes the waiting message at `position` out of the window.
    mutating func remove(at position: Int) -> PendingObservation {
        let observation = slots[position].observation.unsafelyUnwrapped
        slots[position].observation = nil
        index.remove(observation.digest, position: position)
        return observation
    }

    /// Adds a message that has just arrived.
    mutating func append(_ observation: PendingObservation) {
        compactIfNeeded()
        index.insert(observation.digest, position: slots.count)
        slots.append(Slot(firstSeenAt: observation.firstSeenAt, observation: observation))
    }

    /// Takes out the message that has waited longest.
    mutating func removeOldest() -> PendingObservation? {
        while head < slots.count {
            head += 1
            if slots[head - 1].observation != nil { return remove(at: head - 1) }
        }
        return nil
    }

    /// Takes out the message that has waited longest if it arrived before `deadline`. Gaps count with
    /// the arrival time of the message that left, so the order is consumed exactly as it was built.
    mutating func removeOldest(arrivedBefore deadline: Int64) -> PendingObservation? {
        while head < slots.count, slots[head].firstSeenAt < deadline {
            head += 1
            if slots[head - 1].observation != nil { return remove(at: head - 1) }
        }
        return nil
    }

    /// Drops the consumed head and the gaps once they outnumber the waiting messages.
    private mutating func compactIfNeeded() {
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
            return
        }
        guard slots.count > 2 * count + 4096 else { return }
        var kept: [Slot] = []
        kept.reserveCapacity(2 * count + 4096)
        for position in head..<slots.count {
            guard let observation = slots[position].observation else { continue }
            index.move(observation.digest, from: position, to: kept.count)
            kept.append(slots[position])
        }
        slots = kept
        head = 0
    }
}
