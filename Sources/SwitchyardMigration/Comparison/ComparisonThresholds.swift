/// The limits a comparison must stay within for its verdict to pass. `nil` means the figure is
/// reported but not gated.
///
/// The defaults are strict where a difference means data went wrong: no missing, late, mismatched or
/// reordered message, and at least one matched message (a run that read nothing proves nothing).
/// Duplicates are not gated by default because at-least-once delivery allows them; unexpected messages
/// are not gated by default because the two sides of a live topic start and stop reading at slightly
/// different instants; latency skew is not gated by default because two brokers are not expected to be
/// equally fast.
public struct ComparisonThresholds: Sendable, Hashable, Codable {
    /// Messages missing on either side after the grace window, both sides together.
    public var maxMissing: Int?
    /// Messages whose two copies differ in key, payload or (not ignored) headers.
    public var maxMismatched: Int?
    /// Messages that reached a side only after the grace window had passed.
    public var maxLate: Int?
    /// Per-key order inversions, both sides together.
    public var maxOrderInversions: Int?
    /// Unexpected messages (see ``ComparisonReport/SideFigures/unexpected``), both sides together.
    public var maxUnexpected: Int?
    /// Repeated deliveries of one id on one side, both sides together.
    public var maxDuplicates: Int?
    /// The largest allowed difference between the sides' p99 publish-to-consume latencies, in
    /// milliseconds, either way.
    public var maxP99SkewMilliseconds: Double?
    /// The fewest messages that must have been matched.
    public var minMatched: Int
    /// The most copies allowed to wait in the dual-write spool; checked only when spool figures are given.
    public var maxSpoolBacklog: Int?
    /// The most failed writes to the secondary; checked only when spool figures are given.
    public var maxSecondaryWriteFailures: Int?

    public init(
        maxMissing: Int? = 0,
        maxMismatched: Int? = 0,
        maxLate: Int? = 0,
        maxOrderInversions: Int? = 0,
        maxUnexpected: Int? = nil,
        maxDuplicates: Int? = nil,
        maxP99SkewMilliseconds: Double? = nil,
        minMatched: Int = 1,
        maxSpoolBacklog: Int? = 0,
        maxSecondaryWriteFailures: Int? = nil
    ) {
        self.maxMissing = maxMissing
        self.maxMismatched = maxMismatched
        self.maxLate = maxLate
        self.maxOrderInversions = maxOrderInversions
        self.maxUnexpected = maxUnexpected
        self.maxDuplicates = maxDuplicates
        self.maxP99SkewMilliseconds = maxP99SkewMilliseconds
        self.minMatched = minMatched
        self.maxSpoolBacklog = maxSpoolBacklog
        self.maxSecondaryWriteFailures = maxSecondaryWriteFailures
    }
}
