import Histogram

/// Publish-to-consume latencies as an HdrHistogram: the one shape in which the demo, the bench and the
/// shadow comparison record them.
extension Histogram where Count == UInt64 {
    /// The longest latency recorded exactly: one hour, in microseconds. Longer ones count as one hour.
    package static var latencyLimitMicroseconds: UInt64 { 3_600_000_000 }

    /// An empty histogram of latencies in microseconds, to three significant digits, with its memory
    /// fixed by ``latencyLimitMicroseconds``.
    package static func latencyMicroseconds() -> Self {
        Histogram(highestTrackableValue: latencyLimitMicroseconds, numberOfSignificantValueDigits: .three)
    }

    /// Records one latency; a negative one (clocks apart between hosts) counts as 0, and one longer than
    /// ``latencyLimitMicroseconds`` as that limit.
    package mutating func recordLatency(microseconds: Int64) {
        _ = record(Swift.min(UInt64(Swift.max(microseconds, 0)), Self.latencyLimitMicroseconds))
    }

    /// The latency at `percentile` (0 to 100), in milliseconds; 0 when nothing was recorded.
    package func milliseconds(atPercentile percentile: Double) -> Double {
        totalCount > 0 ? Double(valueAtPercentile(percentile)) / 1000 : 0
    }

    /// The longest latency recorded, in milliseconds; 0 when nothing was recorded.
    package var maxMilliseconds: Double {
        totalCount > 0 ? Double(maxRecorded) / 1000 : 0
    }
}
