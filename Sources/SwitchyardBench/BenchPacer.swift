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
}
