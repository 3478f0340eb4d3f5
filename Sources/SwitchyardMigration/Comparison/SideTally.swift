import Histogram
import SwitchyardLatency

/// What one side has delivered so far, with bounded examples of its findings.
struct SideTally: Sendable {
    let side: ComparisonSide
    let backend: String
    let maxSamples: Int

    var delivered = 0
    var deliveries = 0
    var duplicates = 0
    var missing = 0
    var late = 0
    var unexpected = 0
    var orderInversions = 0
    var largestDisplacement = 0
    var withoutPublishedAt = 0
    var latency = Histogram<UInt64>.latencyMicroseconds()
    var samples = ComparisonReport.SideSamples(missing: [], late: [], duplicates: [], unexpected: [], inversions: [])

    init(side: ComparisonSide, backend: String, maxSamples: Int) {
        self.side = side
        self.backend = backend
        self.maxSamples = max(0, maxSamples)
    }

    /// Adds `sample` to `list` unless it holds ``maxSamples`` already.
    func keep<Sample>(_ sample: @autoclosure () -> Sample, in list: inout [Sample]) {
        if list.count < maxSamples { list.append(sample()) }
    }

    func figures() -> ComparisonReport.SideFigures {
        ComparisonReport.SideFigures(
            side: side,
            backend: backend,
            delivered: delivered,
            deliveries: deliveries,
            duplicates: duplicates,
            missing: missing,
            late: late,
            unexpected: unexpected,
            orderInversions: orderInversions,
            largestDisplacement: largestDisplacement,
            withoutPublishedAt: withoutPublishedAt,
            latency: LatencyScale.figures(latency),
            samples: samples
        )
    }
}

/// How recorded latencies are summarised in a report.
enum LatencyScale {
    private static func milliseconds(_ microseconds: UInt64) -> Double {
        Double(microseconds) / 1000
    }

    static func figures(_ histogram: Histogram<UInt64>) -> ComparisonReport.LatencyFigures {
        guard histogram.totalCount > 0 else {
            return ComparisonReport.LatencyFigures(
                count: 0, p50Milliseconds: 0, p95Milliseconds: 0, p99Milliseconds: 0, maxMilliseconds: 0, buckets: [], percentiles: []
            )
        }
        var buckets: [ComparisonReport.LatencyBucket] = []
        for step in histogram.logarithmicBucketValues(valueUnitsInFirstBucket: 16, logBase: 2) {
            buckets.append(ComparisonReport.LatencyBucket(upToMilliseconds: milliseconds(step.value), count: Int(step.countAddedInThisIterationStep)))
        }
        var percentiles: [ComparisonReport.PercentilePoint] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 4) {
            percentiles.append(ComparisonReport.PercentilePoint(percentile: step.percentileLevelIteratedTo, milliseconds: milliseconds(step.value)))
            if step.percentileLevelIteratedTo >= 99.999 { break }
        }
        return ComparisonReport.LatencyFigures(
            count: Int(histogram.totalCount),
            p50Milliseconds: histogram.milliseconds(atPercentile: 50),
            p95Milliseconds: histogram.milliseconds(atPercentile: 95),
            p99Milliseconds: histogram.milliseconds(atPercentile: 99),
            maxMilliseconds: histogram.maxMilliseconds,
            buckets: buckets,
            percentiles: percentiles
        )
    }
}
