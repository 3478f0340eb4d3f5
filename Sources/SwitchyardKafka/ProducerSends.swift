import Switchyard

/// What a Kafka producer's sends and its poll thread share: the sends waiting for delivery reports,
/// the count of messages without an outcome, the flush waits, and the stop flag.
///
/// The poll thread holds this, never the driver, so a driver dropped without `close()` is freed; its
/// deinit raises ``stopping``, and the thread then frees the handle.
final class ProducerSends: Sendable {
    /// What a delivery report says.
    enum Outcome: Sendable {
        case delivered(DeliveryPosition)
        case failed(SwitchyardError)
    }

    struct State {
        /// The sends waiting for reports, by slot; a report's opaque names the slot and the index.
        var sends: [BatchOutcomes<Outcome>?] = []
        var freeSlots: [Int] = []
        /// Messages admitted for sending that have no outcome yet.
        var outstanding = 0
        var closed = false
        var fatal: SwitchyardError?
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let state = LockedValue(State())
    /// Raised by `close()`, once every report is in, or by the driver's deinit; the poll thread then
    /// frees the handle and ends.
    let stopping = StopFlag()

    /// The opaque of a record: its send's slot plus one in the high 32 bits (so it is never null), its
    /// index in the send in the low 32. Pointers are 64 bits on every platform Switchyard supports.
    static func opaque(slot: Int, index: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(slot + 1) << 32 | UInt(index))
    }

    /// The slot and index that ``opaque(slot:index:)`` put into a record's opaque.
    static func slotAndIndex(_ opaque: UnsafeMutableRawPointer?) -> (slot: Int, index: Int) {
        let bits = UInt(bitPattern: opaque)
        return (Int(bits >> 32) - 1, Int(bits & 0xFFFF_FFFF))
    }

    /// Hands reports to their sends: one lock to find the sends, then one per run of reports for the
    /// same send (an event holds one message set, mostly from one send).
    func deliver(_ reports: [(slot: Int, index: Int, outcome: Outcome)]) {
        guard !reports.isEmpty else { return }
        let (runs, drained) = state.withLock { state in
            state.outstanding -= reports.count
            var runs: [(send: BatchOutcomes<Outcome>?, range: Range<Int>)] = []
            for position in reports.indices {
                if let last = runs.last, reports[last.range.lowerBound].slot == reports[position].slot {
                    runs[runs.count - 1].range = last.range.lowerBound..<position + 1
                } else {
                    runs.append((state.sends[reports[position].slot], position..<position + 1))
                }
            }
            return (runs, Self.takeFlushWaitersIfDrained(&state))
        }
        for run in runs {
            run.send?.record(reports[run.range].lazy.map { ($0.index, $0.outcome) })
        }
        for waiter in drained { waiter.resume() }
    }

    /// The flush waiters to resume, once nothing is outstanding.
    static func takeFlushWaitersIfDrained(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.outstanding == 0 else { return [] }
        defer { state.flushWaiters = [] }
        return state.flushWaiters
    }
}
