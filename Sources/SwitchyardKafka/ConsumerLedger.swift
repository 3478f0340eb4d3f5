import DequeModule
import Switchyard

/// What one Kafka consumer holds: per assigned partition, the offsets fetched but not yet acked, and
/// the deliveries waiting to be handed out or out with the application.
///
/// Offsets become committable only as a contiguous acked prefix: a partition's commit point is its
/// lowest unsettled offset, or the offset after the last one fetched when all are settled. So acks in
/// any order are safe, and a message never acked is fetched again by whoever owns the partition next.
/// Each assignment of a partition gets a new epoch; settling a delivery from an earlier epoch fails,
/// because its partition was revoked and the message goes to the partition's new owner.
struct ConsumerLedger {
    struct Partition {
        var epoch: UInt64
        /// The offset after the last one fetched, once something was fetched.
        var next: Int64?
        /// Offsets fetched and not yet acked.
        var unsettled = UnsettledOffsets()
        /// The offset last committed.
        var committed: Int64?
        /// While set, records published before this time (microseconds) are skipped as if acked: the
        /// partition is being read forward to a start time.
        var skipBefore: Int64?
        /// Whether the partition is being revoked: nothing more from it is handed out, while the
        /// deliveries already out may still be settled.
        var revoking = false

        /// The offset to commit: everything before it is acked.
        var commitPoint: Int64? { unsettled.lowest ?? next }
    }

    /// An offset to commit for one partition, valid for one epoch.
    struct CommitPoint: Equatable {
        var partition: Int32
        var offset: Int64
        var epoch: UInt64
    }

    let prefetch: Int
    private(set) var partitions: [Int32: Partition] = [:]
    private var ready: Deque<ReceivedMessage> = []
    private var outstanding: [DeliveryToken: ReceivedMessage] = [:]
    private var lastEpoch: UInt64 = 0
    /// Acked progress on revoked partitions that was not committed, per partition.
    private var carried: [Int32: Int64] = [:]

    init(prefetch: Int) {
        self.prefetch = prefetch
    }

    /// Whether fetching should pause: as many deliveries are fetched or out as the prefetch allows.
    var isFull: Bool { ready.count + outstanding.count >= prefetch }

    /// Whether paused fetching should resume: the consumer holds at most half its prefetch. Resuming as
    /// soon as one delivery is settled would pause again at once, and every pause throws away what
    /// librdkafka fetched ahead and leaves its fetcher idle until it notices the resume.
    var hasRoomToResume: Bool { ready.count + outstanding.count <= prefetch / 2 }

    /// How many deliveries this consumer holds: fetched and waiting, or out with the application.
    var heldCount: Int { ready.count + outstanding.count }

    /// Where a reassigned partition resumes with progress this consumer made before the rebalance
    /// but could not commit: everything before `next` was acked here.
    struct Resumption: Equatable {
        /// The offset fetching starts at.
        var next: Int64
        /// The offset the group has committed, if any; below `next`, so committing `next` is due.
        var committed: Int64?
    }

    /// Starts tracking newly assigned partitions, each with a fresh epoch. Those in `skipping` skip
    /// records published before the given time, up to the first one at or after it; those in
    /// `resuming` start after progress made before the rebalance, which becomes due for commit.
    mutating func assign(_ ids: [Int32], skipping: [Int32: Int64] = [:], resuming: [Int32: Resumption] = [:]) {
        for id in ids {
            lastEpoch += 1
            if let resumption = resuming[id] {
                partitions[id] = Partition(epoch: lastEpoch, next: resumption.next, committed: resumption.committed)
            } else {
                partitions[id] = Partition(epoch: lastEpoch, skipBefore: skipping[id])
            }
        }
    }

    /// Starts revoking partitions: their deliveries not yet handed out are dropped (their offsets stay
    /// uncommitted, so the next owner fetches them), nothing more from them is added or handed out, and
    /// the deliveries already out may still be acked until ``revoke(_:)``.
    mutating func beginRevoking(_ ids: [Int32]) {
        let revoking = Set(ids)
        for id in revoking { partitions[id]?.revoking = true }
        ready.removeAll { revoking.contains($0.token.partition) }
    }

    /// How many deliveries from `ids` are out with the application.
    func outstandingCount(in ids: [Int32]) -> Int {
        let partitions = Set(ids)
        return outstanding.keys.filter { partitions.contains($0.partition) }.count
    }

    /// Stops tracking revoked partitions and drops their deliveries; settling those later fails. Their
    /// acked progress that is not committed is carried until the next assignment (see ``takeCarried()``).
    mutating func revoke(_ ids: [Int32]) {
        carried.merge(uncommittedProgress(in: ids)) { _, newer in newer }
        let revoked = Set(ids)
        for id in revoked { partitions[id] = nil }
        ready.removeAll { revoked.contains($0.token.partition) }
        outstanding = outstanding.filter { !revoked.contains($0.key.partition) }
    }

    /// Every tracked partition.
    var assigned: [Int32] { Array(partitions.keys) }

    /// Adds a fetched record. Returns `false` when it is not to be delivered: its partition is not
    /// assigned here any more, or it is skipped on the way to a start time.
    mutating func add(_ message: Message, partition: Int32, offset: Int64) -> Bool {
        // Fields are read one by one and written in place, so the partition's offset table is never
        // copied (a copied `Partition` would make every insert copy the whole table).
        guard let epoch = partitions[partition]?.epoch, partitions[partition]?.revoking == false else { return false }
        if let next = partitions[partition]?.next, offset < next { return false }
        partitions[partition]?.next = offset + 1
        if let start = partitions[partition]?.skipBefore {
            if (message.publishedAt ?? start) < start { return false }
            partitions[partition]?.skipBefore = nil
        }
        partitions[partition]?.unsettled.append(offset)
        let token = DeliveryToken(partition: partition, sequence: offset, epoch: epoch)
        ready.append(
            ReceivedMessage(message: message, position: DeliveryPosition(partition: partition, offset: offset), deliveryAttempt: 1, token: token)
        )
        return true
    }

    /// Hands out up to `maxMessages` deliveries, keeping at most `prefetch` out at once.
    mutating func take(_ maxMessages: Int) -> [ReceivedMessage] {
        let count = min(maxMessages, prefetch - outstanding.count, ready.count)
        guard count > 0 else { return [] }
        let batch = Array(ready.prefix(count))
        ready.removeFirst(count)
        for delivery in batch { outstanding[delivery.token] = delivery }
        return batch
    }

    /// Marks a delivery acked, making its offset committable once everything before it is.
    mutating func ack(_ token: DeliveryToken) throws(SwitchyardError) {
        try settle(token)
        partitions[token.partition]?.unsettled.settle(token.sequence)
    }

    /// Puts a delivery back at the front of the line with its attempt raised (or, for a partition being
    /// revoked, leaves it to the next owner). Its offset stays uncommitted, so if this consumer goes
    /// away first, the partition's next owner fetches it again.
    mutating func requeue(_ token: DeliveryToken) throws(SwitchyardError) {
        var delivery = try settle(token)
        delivery.deliveryAttempt += 1
        if partitions[token.partition]?.revoking == false {
            ready.insert(delivery, at: 0)
        }
    }

    /// Puts deliveries that were never shown to the application back at the front, in order, without
    /// counting an attempt. Unknown tokens are ignored.
    mutating func release(_ tokens: [DeliveryToken]) {
        let returned = tokens.compactMap { outstanding.removeValue(forKey: $0) }
        ready.insert(contentsOf: returned.filter { partitions[$0.token.partition]?.revoking == false }, at: 0)
    }

    /// The commit points that moved since the last commit, for `ids` or every partition.
    func commitPoints(for ids: [Int32]? = nil) -> [CommitPoint] {
        (ids ?? assigned).compactMap { id in
            guard let tracked = partitions[id], let point = tracked.commitPoint, point != tracked.committed else { return nil }
            return CommitPoint(partition: id, offset: point, epoch: tracked.epoch)
        }
    }

    /// Records commits that succeeded; those for a partition since reassigned are ignored, and so is
    /// one that a later commit already passed (an asynchronous commit may report after a newer one).
    mutating func committed(_ points: [CommitPoint]) {
        for point in points where partitions[point.partition]?.epoch == point.epoch {
            if let committed = partitions[point.partition]?.committed, committed >= point.offset { continue }
            partitions[point.partition]?.committed = point.offset
        }
    }

    /// The acked progress of `ids` that is not committed yet: per partition, the offset everything
    /// before which was acked here.
    func uncommittedProgress(in ids: [Int32]) -> [Int32: Int64] {
        Dictionary(uniqueKeysWithValues: commitPoints(for: ids).map { ($0.partition, $0.offset) })
    }

    /// The progress carried from revoked partitions, which is forgotten here: it is only good for the
    /// assignment right after the revoke.
    mutating func takeCarried() -> [Int32: Int64] {
        defer { carried = [:] }
        return carried
    }

    /// Where partitions given back resume: those whose carried progress is ahead of the group's
    /// committed offset (`nil` when the group has none). Everything between the two was acked by this
    /// consumer, so resuming there skips nothing unacked.
    static func resumptions(carried: [Int32: Int64], committed: [Int32: Int64?]) -> [Int32: Resumption] {
        var resuming: [Int32: Resumption] = [:]
        for (partition, next) in carried {
            guard let groupCommitted = committed[partition] else { continue }
            if let groupCommitted, groupCommitted >= next { continue }
            resuming[partition] = Resumption(next: next, committed: groupCommitted)
        }
        return resuming
    }

    @discardableResult
    private mutating func settle(_ token: DeliveryToken) throws(SwitchyardError) -> ReceivedMessage {
        guard let delivery = outstanding.removeValue(forKey: token) else {
            let reason =
                partitions[token.partition]?.epoch == token.epoch
                ? "it was already acked or nacked"
                : "its partition \(token.partition) was reassigned to another consumer in the group, which receives it again"
            throw SwitchyardError(.alreadySettled, "The delivery at offset \(token.sequence) cannot be settled: \(reason).")
        }
        return delivery
    }
}
