/// Spaces sends at a fixed rate: the n-th send is due n intervals after the start. A sender that falls
/// behind sends at once until it has caught up, so the average rate holds.
struct BenchPacer {
    private let start: ContinuousClock.Instant
    private let interval: Duration

    init(messagesPerSecond: Int) {
        self.start = ContinuousClock.now
        self.interval = .nanoseconds(1_000_000_000 / Int64(max(messagesPerSecond, 1)))
    }

    /// Returns when send number `index` (from 0) is due.
    func wait(for index: Int) async throws {
        let due = start + interval * index
        if ContinuousClock.now < due {
            try await Task.sleep(until: due, tolerance: .microseconds(10), clock: .continuous)
        }
    }

    /// How many of `total` sends are due by now.
    func due(of total: Int) -> Int {
        min(total, Int((ContinuousClock.now - start) / interval) + 1)
    }

    /// Hands the sends `0..<total` to `send` in order: each call gets every send that is due and not yet
    /// handed, so a slow `send` is caught up with one larger call rather than many late ones.
    func pace(_ total: Int, _ send: (Range<Int>) async throws -> Void) async throws {
        var next = 0
        while next < total {
            try await wait(for: next)
            let due = due(of: total)
            try await send(next..<due)
            next = due
        }
    }
}
