/// What `bench --backend dual` measures besides the dual-write backend itself: each of its two sides
/// alone, with the same settings on fresh topics in the same runs, and the dual-write throughput over
/// the slower side's.
package struct BenchDualWrite: Codable, Sendable {
    /// The name of the backend that must acknowledge every send.
    package var primary: String
    /// The name of the backend that receives the copies.
    package var secondary: String
    /// The side the dual-write consumers read from: `primary` or `secondary`.
    package var readFrom: String
    /// Medians over the runs of the primary alone.
    package var primaryAlone: BenchRow
    /// Medians over the runs of the secondary alone.
    package var secondaryAlone: BenchRow
    /// The median over the runs of each run's dual-write throughput over the slower side's in that run.
    package var ratio: Ratio
    package var primaryRuns: [BenchRow]
    package var secondaryRuns: [BenchRow]
    package var ratioRuns: [Ratio]
    /// Copies the dual writer put in its spool during the bench instead of getting the secondary's
    /// acknowledgement in time; above 0, the dual-write rows did not wait for every copy.
    package var spooled: Int

    /// Dual-write throughput over the slower single side's, per phase that writes. (Consumers of the dual
    /// backend read one side, so its consume phase is that side's.)
    package struct Ratio: Codable, Sendable {
        package var produce: Double
        package var pipeline: Double

        /// `dual` over the slower of `primary` and `secondary` in the same run.
        package init(dual: BenchRow, primary: BenchRow, secondary: BenchRow) {
            func divide(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
            produce = divide(dual.produce, min(primary.produce, secondary.produce))
            pipeline = divide(dual.pipeline, min(primary.pipeline, secondary.pipeline))
        }

        package init(produce: Double, pipeline: Double) {
            self.produce = produce
            self.pipeline = pipeline
        }

        /// The median of each phase's ratio.
        package static func median(of ratios: [Ratio]) -> Ratio {
            let rows = ratios.map { BenchRow(produce: $0.produce, consume: 0, pipeline: $0.pipeline, pipelineP50Ms: 0, pipelineP99Ms: 0) }
            let middle = BenchRow.median(of: rows)
            return Ratio(produce: middle.produce, pipeline: middle.pipeline)
        }
    }

    package init(primary: String, secondary: String, readFrom: String, dualRuns: [BenchRow], primaryRuns: [BenchRow], secondaryRuns: [BenchRow], spooled: Int) {
        self.primary = primary
        self.secondary = secondary
        self.readFrom = readFrom
        self.primaryAlone = BenchRow.median(of: primaryRuns)
        self.secondaryAlone = BenchRow.median(of: secondaryRuns)
        self.primaryRuns = primaryRuns
        self.secondaryRuns = secondaryRuns
        self.ratioRuns = zip(dualRuns, zip(primaryRuns, secondaryRuns)).map { Ratio(dual: $0, primary: $1.0, secondary: $1.1) }
        self.ratio = Ratio.median(of: ratioRuns)
        self.spooled = spooled
    }
}
