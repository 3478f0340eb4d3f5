import Switchyard
import Histogram
import SwitchyardLatency

/// What one consumer group has received: the distinct message ids, the duplicates among them, the
/// messages it skipped, and the publish-to-consume latency. Safe to read while the group consumes.
public final class DeliveryTally: Sendable {
    /// A copy of the tally at one moment.
    public struct Snapshot: Sendable {
        /// How many distinct message ids were received.
        public var received: Int
        /// Deliveries whose id had already been received.
        public var duplicates: Int
        /// Deliveries that were not this run's ticks: another run's, or not decodable.
        public var skipped: Int
        /// Publish-to-consume latency of first deliveries.
        public var latency: Histogram<UInt64>
    }

    private struct State {
        var counts = DeliveryCounts()
        var skipped = 0
        var latency = Histogram<UInt64>.latencyMicroseconds()
    }

    private let state = LockedValue(State())

    public init() {}

    /// Records a delivery and returns whether its id is new.
    func recordDelivery(id: String, latencyMicroseconds: Int64?) -> Bool {
        state.withLock { state in
            guard state.counts.record(id) else { return false }
            if let latencyMicroseconds {
                state.latency.recordLatency(microseconds: latencyMicroseconds)
            }
            return true
        }
    }

    func recordSkipped() {
        state.withLock { $0.skipped += 1 }
    }

    /// How many of `ids` this group has not received yet.
    public func missing(from ids: Set<String>) -> Int {
        state.withLock { state in ids.count { !state.counts.contains($0) } }
    }

    /// How many distinct ids were received.
    public var receivedCount: Int {
        state.withLock { $0.counts.distinct }
    }

    /// The tally so far.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(received: state.counts.distinct, duplicates: state.counts.redeliveries, skipped: state.skipped, latency: state.latency)
        }
    }
}
