import Histogram
/// The outcome of a ``PricePipeline`` run: what was published, what each consumer group received, and
/// the publish-to-consume latency.
public struct PipelineSummary: Sendable {
    /// What one consumer group received.
    public struct GroupResult: Sendable, Hashable {
        /// The consumer group.
        public var group: String
        /// Acknowledged sends that the group received.
        public var consumed: Int
        /// Acknowledged sends that the group never received.
        public var lost: Int
        /// Deliveries of an id the group had already received.
        public var duplicated: Int
        /// Deliveries that were not this run's ticks.
        public var skipped: Int
    }

    /// Sends the broker acknowledged.
    public var published: Int
    /// One result per consumer group.
    public var groups: [GroupResult]
    /// Publish-to-consume latency of every group's first deliveries.
    public var latency: Histogram<UInt64>
    /// Candles closed by the candle group.
    public var candles: Int
    /// Ticks that reached the candle group after their candle had closed.
    public var lateTicks: Int
    /// The number of symbols traded.
    public var symbols: Int
    /// The seed of the simulated market.
    public var seed: UInt64
    /// Wall-clock seconds from the first tick to the end of the drain.
    public var elapsedSeconds: Double

    /// The fewest acknowledged sends any group received.
    public var consumed: Int { groups.map(\.consumed).min() ?? 0 }
    /// Acknowledged sends missing, summed over the groups.
    public var lost: Int { groups.reduce(0) { $0 + $1.lost } }
    /// Duplicate deliveries, summed over the groups.
    public var duplicated: Int { groups.reduce(0) { $0 + $1.duplicated } }

    /// One line per group: `group <name> consumed=… lost=… duplicated=… skipped=…`.
    public var groupLines: [String] {
        groups.map { "group \($0.group) consumed=\($0.consumed) lost=\($0.lost) duplicated=\($0.duplicated) skipped=\($0.skipped)" }
    }

    /// The summary line: `summary published=… consumed=… lost=… duplicated=… p50=…ms p99=…ms …`.
    public var line: String {
        "summary published=\(published) consumed=\(consumed) lost=\(lost) duplicated=\(duplicated)"
            + " p50=\(DecimalText.milliseconds(latency.valueAtPercentile(50))) p99=\(DecimalText.milliseconds(latency.valueAtPercentile(99)))"
            + " max=\(DecimalText.milliseconds(latency.maxRecorded)) candles=\(candles) late=\(lateTicks) symbols=\(symbols)"
            + " seconds=\(DecimalText.fixed(elapsedSeconds, decimals: 1)) seed=\(seed)"
    }
}
