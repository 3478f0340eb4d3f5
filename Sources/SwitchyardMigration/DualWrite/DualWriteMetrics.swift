import Metrics
import Synchronization

/// The dual-write counters, reported through swift-metrics and kept for ``DualWriteStats``.
///
/// Metric names (dimensions `primary` and `secondary` name the backends):
/// - `switchyard_dual_writes_total`: sends the primary acknowledged;
/// - `switchyard_dual_primary_failures_total`: sends the primary refused (reported to the caller);
/// - `switchyard_dual_secondary_failures_total`: direct copies the secondary failed or timed out on,
///   or that were not waited for because another copy had;
/// - `switchyard_dual_spooled_total`: copies written to the spool, failed ones and those sent while
///   the spool was draining;
/// - `switchyard_dual_replayed_total`: spooled copies the secondary has since acknowledged;
/// - `switchyard_dual_replay_failures_total`: replay attempts that failed and will be retried;
/// - `switchyard_dual_spool_unreadable_total`: spooled copies lost in a corrupt stretch of the spool,
///   skipped instead of replayed;
/// - `switchyard_dual_spool_corruptions_total`: corrupt or torn stretches found in the spool files;
/// - `switchyard_dual_spool_depth` (gauge): copies in the spool not yet acknowledged by the secondary.
final class DualWriteMetrics: Sendable {
    let writes: DualWriteCounter
    let primaryFailures: DualWriteCounter
    let secondaryFailures: DualWriteCounter
    let spooled: DualWriteCounter
    let replayed: DualWriteCounter
    let replayFailures: DualWriteCounter
    let unreadable: DualWriteCounter
    let corruptions: DualWriteCounter
    private let depthGauge: Gauge

    init(primary: String, secondary: String) {
        let dimensions = [("primary", primary), ("secondary", secondary)]
        writes = DualWriteCounter("switchyard_dual_writes_total", dimensions)
        primaryFailures = DualWriteCounter("switchyard_dual_primary_failures_total", dimensions)
        secondaryFailures = DualWriteCounter("switchyard_dual_secondary_failures_total", dimensions)
        spooled = DualWriteCounter("switchyard_dual_spooled_total", dimensions)
        replayed = DualWriteCounter("switchyard_dual_replayed_total", dimensions)
        replayFailures = DualWriteCounter("switchyard_dual_replay_failures_total", dimensions)
        unreadable = DualWriteCounter("switchyard_dual_spool_unreadable_total", dimensions)
        corruptions = DualWriteCounter("switchyard_dual_spool_corruptions_total", dimensions)
        depthGauge = Gauge(label: "switchyard_dual_spool_depth", dimensions: dimensions)
    }

    /// Reports the spool depth.
    func recordDepth(_ depth: Int) {
        depthGauge.record(depth)
    }
}

/// A swift-metrics counter that also keeps its total, for the stats snapshot.
final class DualWriteCounter: Sendable {
    private let counter: Counter
    private let total = Atomic<Int>(0)

    init(_ label: String, _ dimensions: [(String, String)]) {
        counter = Counter(label: label, dimensions: dimensions)
    }

    func increment(by amount: Int = 1) {
        guard amount > 0 else { return }
        counter.increment(by: Int64(amount))
        total.add(amount, ordering: .relaxed)
    }

    var value: Int { total.load(ordering: .relaxed) }
}
