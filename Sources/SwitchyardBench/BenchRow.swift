/// What one run measured for one subject (Switchyard or the AsyncStream baseline).
package struct BenchRow: Codable, Sendable {
    /// Messages per second sent with no consumer running.
    package var produce: Double
    /// Messages per second received, each acked, from a topic already holding them all.
    package var consume: Double
    /// Messages per second through a producer and a consumer running at once, first send to last receive.
    package var pipeline: Double
    /// Median publish-to-consume latency in the pipeline phase, in milliseconds.
    package var pipelineP50Ms: Double
    /// 99th-percentile publish-to-consume latency in the pipeline phase, in milliseconds.
    package var pipelineP99Ms: Double
    /// Median publish-to-consume latency at the fixed rate, in milliseconds; absent when that phase is off.
    package var rateP50Ms: Double?
    /// 99th-percentile publish-to-consume latency at the fixed rate, in milliseconds.
    package var rateP99Ms: Double?
    /// The send rate reached in the fixed-rate phase, in messages per second.
    package var rateAchieved: Double?

    /// The median of each field over several runs.
    package init(
        produce: Double, consume: Double, pipeline: Double, pipelineP50Ms: Double, pipelineP99Ms: Double,
        rateP50Ms: Double? = nil, rateP99Ms: Double? = nil, rateAchieved: Double? = nil
    ) {
        self.produce = produce
        self.consume = consume
        self.pipeline = pipeline
        self.pipelineP50Ms = pipelineP50Ms
        self.pipelineP99Ms = pipelineP99Ms
        self.rateP50Ms = rateP50Ms
        self.rateP99Ms = rateP99Ms
        self.rateAchieved = rateAchieved
    }

    package static func median(of rows: [BenchRow]) -> BenchRow {
        let middle = BenchMath.median
        func optional(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }
            return present.isEmpty ? nil : middle(present)
        }
        return BenchRow(
            produce: middle(rows.map(\.produce)),
            consume: middle(rows.map(\.consume)),
            pipeline: middle(rows.map(\.pipeline)),
            pipelineP50Ms: middle(rows.map(\.pipelineP50Ms)),
            pipelineP99Ms: middle(rows.map(\.pipelineP99Ms)),
            rateP50Ms: optional(rows.map(\.rateP50Ms)),
            rateP99Ms: optional(rows.map(\.rateP99Ms)),
            rateAchieved: optional(rows.map(\.rateAchieved))
        )
    }
}

/// Rate arithmetic shared by the bench subjects.
enum BenchMath {
    /// Messages per second.
    static func rate(_ count: Int, _ elapsed: Duration) -> Double {
        let seconds = elapsed.inSeconds
        return seconds > 0 ? Double(count) / seconds : 0
    }

    /// The middle value, or the mean of the two middle ones; 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
