import Histogram

extension Histogram where Count == UInt64 {
    /// The longest latency recorded exactly: one hour, in microseconds. Longer ones count as one hour.
    static var latencyLimitMicroseconds: UInt64 { 3_600_000_000 }

    /// An empty histogram of publish-to-consume latencies in microseconds, with three significant digits
    /// and memory fixed by ``latencyLimitMicroseconds``.
    static func latencyMicroseconds() -> Self {
        Histogram(highestTrackableValue: latencyLimitMicroseconds)
    }

    /// Records one latency; negative values (clock skew between hosts) count as 0.
    mutating func recordLatency(microseconds: Int64) {
        _ = record(Swift.min(UInt64(Swift.max(microseconds, 0)), Self.latencyLimitMicroseconds))
    }
}
