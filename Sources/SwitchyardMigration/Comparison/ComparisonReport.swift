/// The outcome of one shadow comparison: what each side delivered, what differed, and the verdict.
///
/// Its field names are stable: it is written as JSON for scripts (``ComparisonReport/formatVersion``
/// changes if a field's meaning ever does), and rendered as text and HTML. Times are microseconds since
/// the Unix epoch; durations are milliseconds.
public struct ComparisonReport: Sendable, Hashable, Codable {
    /// The version of this layout.
    public static let currentFormatVersion = 1

    /// ``currentFormatVersion`` when the report was made.
    public var formatVersion: Int
    /// What was compared, how, and when.
    public var run: Run
    /// What the primary (control) side delivered.
    public var primary: SideFigures
    /// What the secondary (candidate) side delivered.
    public var secondary: SideFigures
    /// Messages delivered by both sides, the second copy within the grace window, whether or not the
    /// copies were equal.
    public var matched: Int
    /// Matched messages whose copies differ.
    public var mismatches: Mismatches
    /// How the sides' latencies compare.
    public var skew: Skew
    /// Deliveries per key.
    public var keys: Keys
    /// The dual writer's own figures, when they were given.
    public var dualWrite: DualWriteFigures?
    /// What the comparison held in memory.
    public var memory: Memory
    /// Findings over the run's time.
    public var timeline: Timeline
    /// Whether the run stayed within its thresholds.
    public var verdict: ComparisonVerdict

    /// The figures of one side.
    public func figures(of side: ComparisonSide) -> SideFigures {
        side == .primary ? primary : secondary
    }

    /// A run's metadata.
    public struct Run: Sendable, Hashable, Codable {
        public var topic: String
        public var primaryBackend: String
        public var secondaryBackend: String
        /// The first observation, or the configured start.
        public var startedAt: Int64
        /// When the run finished.
        public var endedAt: Int64
        public var graceMilliseconds: Double
        /// The publish-time window in which both sides are expected to deliver every message.
        public var windowStart: Int64?
        public var windowEnd: Int64?
        public var rules: ComparisonRules
        public var thresholds: ComparisonThresholds
        public var limits: ComparisonLimits
    }

    /// One side's figures.
    public struct SideFigures: Sendable, Hashable, Codable {
        public var side: ComparisonSide
        public var backend: String
        /// Distinct messages delivered.
        public var delivered: Int
        /// Every delivery, repeats included.
        public var deliveries: Int
        /// Deliveries of an id this side had already delivered.
        public var duplicates: Int
        /// Messages the other side delivered, within the run's window, that this side did not deliver
        /// by the end of the grace window and never delivered later either.
        public var missing: Int
        /// Messages this side delivered only after the grace window had passed (Jepsen's "recovered").
        /// They are not counted missing.
        public var late: Int
        /// Messages this side delivered that the other side was never expected to have, so they are not
        /// counted missing there: published outside the run's window (before both sides were reading,
        /// or after collection stopped), or, when ``ComparisonRules/requiredHeader`` is set, lacking
        /// that header, i.e. written to this broker directly instead of through the dual write. A
        /// message counts as unexpected only while the other side has not delivered it.
        public var unexpected: Int
        /// Deliveries that came after a later-published message of the same key on this side.
        public var orderInversions: Int
        /// The most later-published messages of one key that overtook a single message, among the
        /// key's last ``ComparisonLimits/orderHistory`` deliveries.
        public var largestDisplacement: Int
        /// Deliveries without a publish time, so without a latency or an order check.
        public var withoutPublishedAt: Int
        /// Publish-to-consume latency of first deliveries.
        public var latency: LatencyFigures
        /// Examples of the findings.
        public var samples: SideSamples
    }

    /// Examples of one side's findings, at most ``ComparisonLimits/maxSamples`` each, oldest first.
    public struct SideSamples: Sendable, Hashable, Codable {
        /// Messages this side is missing.
        public var missing: [MessageSample]
        public var late: [LateSample]
        public var duplicates: [MessageSample]
        public var unexpected: [MessageSample]
        public var inversions: [InversionSample]
    }

    /// One message named in a finding.
    public struct MessageSample: Sendable, Hashable, Codable {
        public var id: String
        public var key: String?
        public var publishedAt: Int64?
        /// When the finding was observed (for a missing message, when the other side delivered it).
        public var at: Int64
    }

    /// A message that arrived after the grace window.
    public struct LateSample: Sendable, Hashable, Codable {
        public var id: String
        public var key: String?
        /// How long after the other side's copy it arrived.
        public var afterOtherSideMilliseconds: Double
        public var at: Int64
    }

    /// A delivery that overtook, or was overtaken by, messages of its key.
    public struct InversionSample: Sendable, Hashable, Codable {
        public var id: String
        public var key: String
        /// How many later-published messages of the key were delivered before it.
        public var displacement: Int
        /// Whether the displacement may be larger than shown (beyond the order history).
        public var displacementIsLowerBound: Bool
        public var at: Int64
    }

    /// Publish-to-consume latency of one side.
    public struct LatencyFigures: Sendable, Hashable, Codable {
        public var count: Int
        public var p50Milliseconds: Double
        public var p95Milliseconds: Double
        public var p99Milliseconds: Double
        public var maxMilliseconds: Double
        /// Counts per latency bucket, each bucket twice as wide as the one before.
        public var buckets: [LatencyBucket]
        /// The latency at each percentile, for a percentile plot.
        public var percentiles: [PercentilePoint]
    }

    /// The deliveries whose latency was at most ``upToMilliseconds`` and above the previous bucket's.
    public struct LatencyBucket: Sendable, Hashable, Codable {
        public var upToMilliseconds: Double
        public var count: Int
    }

    /// One point of a percentile plot.
    public struct PercentilePoint: Sendable, Hashable, Codable {
        public var percentile: Double
        public var milliseconds: Double
    }

    /// How the sides' latencies compare.
    public struct Skew: Sendable, Hashable, Codable {
        /// The secondary's percentile minus the primary's; `nil` when a side has no latency.
        public var p50Milliseconds: Double?
        public var p95Milliseconds: Double?
        public var p99Milliseconds: Double?
        /// The time between the two copies' arrivals, over matched messages.
        public var arrivalGap: ArrivalGap
    }

    /// The time between the two copies of matched messages.
    public struct ArrivalGap: Sendable, Hashable, Codable {
        public var count: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var maxMilliseconds: Double
        /// Matched messages whose secondary copy came second.
        public var secondaryLater: Int
    }

    /// Matched messages whose copies differ.
    public struct Mismatches: Sendable, Hashable, Codable {
        /// Messages with any difference.
        public var total: Int
        public var key: Int
        public var payload: Int
        public var headers: Int
        public var samples: [MismatchSample]
    }

    /// One mismatched message.
    public struct MismatchSample: Sendable, Hashable, Codable {
        public var id: String
        public var key: String?
        /// `key`, `payload` and/or `headers`.
        public var kinds: [String]
        public var primaryKey: String?
        public var secondaryKey: String?
        public var primaryPayloadBytes: Int
        public var secondaryPayloadBytes: Int
        public var primaryPayloadDigest: String
        public var secondaryPayloadDigest: String
        /// The header names whose values differ, ignored names left out.
        public var headers: [HeaderDifference]
        /// When the second copy arrived.
        public var at: Int64
    }

    /// One header name's values on each side, in order, shown as text or `0x` hexadecimal and cut at
    /// 64 characters.
    public struct HeaderDifference: Sendable, Hashable, Codable {
        public var name: String
        public var primary: [String]
        public var secondary: [String]
    }

    /// Deliveries per key.
    public struct Keys: Sendable, Hashable, Codable {
        /// Distinct keys tracked (a message without a key counts under one row with no key).
        public var tracked: Int
        /// First deliveries of keys beyond ``ComparisonLimits/maxTrackedKeys``, per side.
        public var untrackedPrimary: Int
        public var untrackedSecondary: Int
        /// The keys with the most deliveries, at most ``ComparisonLimits/maxReportedKeys``, ordered by key.
        public var rows: [KeyRow]
        /// Whether there were more keys than ``rows``.
        public var truncated: Bool
    }

    /// One key's figures.
    public struct KeyRow: Sendable, Hashable, Codable {
        /// The key as text or `0x` hexadecimal; `nil` for messages without a key.
        public var key: String?
        public var primary: Int
        public var secondary: Int
        public var primaryInversions: Int
        public var secondaryInversions: Int
    }

    /// What the comparison held in memory.
    public struct Memory: Sendable, Hashable, Codable {
        /// The most messages that waited for their other side at once.
        public var peakPending: Int
        /// Messages given up on before their grace window ended because ``ComparisonLimits/maxPending``
        /// was reached.
        public var forcedEvictions: Int
        /// Messages still waiting when the run finished, then given up on.
        public var givenUpAtEnd: Int
    }

    /// Findings over time, in bins of equal length from the run's start.
    public struct Timeline: Sendable, Hashable, Codable {
        public var startedAt: Int64
        public var binMilliseconds: Double
        public var bins: [TimelineBin]
    }

    /// The findings of one bin, each counted when it was observed (a missing message when the other
    /// side delivered it).
    public struct TimelineBin: Sendable, Hashable, Codable {
        public var primary: Int = 0
        public var secondary: Int = 0
        public var matched: Int = 0
        public var mismatched: Int = 0
        public var missing: Int = 0
        public var late: Int = 0
        public var duplicates: Int = 0
        public var unexpected: Int = 0
        public var inversions: Int = 0

        public init() {}
    }
}
