import DequeModule
import Switchyard
import Synchronization

/// What a fetch found.
enum FetchResult {
    case messages([ReceivedMessage])
    /// Nothing to deliver now; the caller was registered as a waiter.
    case waiting
    /// The member has left the group.
    case left
}

/// One topic: its partitions and the groups reading it.
///
/// Two locks keep producers and consumers out of each other's way: one guards the partition logs, the
/// other the groups, so an ack never waits for an append. A fetch takes the groups lock, then the logs
/// lock; nothing takes them the other way round. Waiters are resumed after both are released.
final class TopicLog: Sendable {
    private struct Logs {
        var partitions: [PartitionLog]
        var nextPartition = 0
    }

    private struct Groups {
        var byID: [UInt64: GroupState] = [:]
        var named: [String: UInt64] = [:]
    }

    let name: String
    let partitionCount: Int
    private let retention: Int
    private let windowLimit: Int
    private let logs: LockedValue<Logs>
    private let groups = LockedValue(Groups())
    /// Receives registered as waiters, plus fetches about to read the logs. An append looks for waiters
    /// to wake only when this is above zero. A fetch counts itself before reading the logs, so an append
    /// that the fetch missed is sure to see the count and wake it.
    private let watchers = Atomic<Int>(0)

    init(name: String, partitions: Int, retention: Int, windowLimit: Int) {
        self.name = name
        self.partitionCount = partitions
        self.retention = retention
        self.windowLimit = windowLimit
        self.logs = LockedValue(Logs(partitions: Array(repeating: PartitionLog(), count: partitions)))
    }

    // MARK: Producing

    /// Appends messages and returns their positions.
    func append(_ messages: [Message]) -> [DeliveryPosition] {
        var touched: Set<Int> = []
        let positions = logs.withLock { logs in
            messages.map { message in
                let partition = Self.choosePartition(message.key, count: partitionCount, logs: &logs)
                touched.insert(partition)
                let offset = logs.partitions[partition].append(message, retention: retention)
                return DeliveryPosition(partition: Int32(partition), offset: offset)
            }
        }
        wakeOwners(of: touched)
        return positions
    }

    /// Appends one message and returns its position.
    func append(_ message: Message) -> DeliveryPosition {
        let (partition, offset) = logs.withLock { logs in
            let partition = Self.choosePartition(message.key, count: partitionCount, logs: &logs)
            return (partition, logs.partitions[partition].append(message, retention: retention))
        }
        wakeOwners(of: CollectionOfOne(partition))
        return DeliveryPosition(partition: Int32(partition), offset: offset)
    }

    private static func choosePartition(_ key: [UInt8]?, count: Int, logs: inout Logs) -> Int {
        if let key {
            return KeyPartitioner.partition(for: key, count: count)
        }
        defer { logs.nextPartition = (logs.nextPartition + 1) % count }
        return logs.nextPartition
    }

    /// Wakes the receives waiting on the members that own `partitions`, in every group. An append calls
    /// it once per call, with every partition it appended to, so a batch wakes each waiting receive once.
    /// It takes the groups lock only while some receive is waiting or fetching.
    private func wakeOwners(of partitions: some Sequence<Int>) {
        guard watchers.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let woken = groups.withLock { groups in
            var woken: [CheckedContinuation<Void, Never>] = []
            for group in groups.byID.values where !group.waiters.isEmpty {
                for partition in partitions {
                    if let owner = group.owner(of: partition) {
                        group.takeWaiters(of: owner, into: &woken)
                    }
                }
            }
            return woken
        }
        resume(woken)
    }

    /// Resumes taken waiters and stops counting them as watchers.
    private func resume(_ woken: [CheckedContinuation<Void, Never>]) {
        guard !woken.isEmpty else { return }
        watchers.subtract(woken.count, ordering: .sequentiallyConsistent)
        for waiter in woken { waiter.resume() }
    }

    // MARK: Membership

    /// Adds `member` to the group named `name` (a new private group when `name` is `nil`), creating the
    /// group at `start` if it is new, and returns the group's id. A start position other than
    /// ``StartPosition/committed`` repositions an existing group that has no other member.
    func join(member: MemberID, name: String?, groupID newID: UInt64, start: StartPosition, prefetch: Int) -> UInt64 {
        let (groupID, woken) = groups.withLock { groups in
            let positions = logs.withLock { logs in
                logs.partitions.map { log -> Int64 in
                    switch start {
                    case .earliest: log.startOffset
                    case .latest, .committed: log.endOffset
                    case .timestamp(let microseconds): log.firstOffset(publishedAtOrAfter: microseconds)
                    }
                }
            }
            let groupID = name.flatMap { groups.named[$0] } ?? newID
            let group: GroupState
            if let existing = groups.byID[groupID] {
                group = existing
                if start != .committed && group.members.isEmpty {
                    group.reposition(to: positions)
                }
            } else {
                group = GroupState(isPrivate: name == nil, positions: positions)
                groups.byID[groupID] = group
                if let name { groups.named[name] = groupID }
            }
            group.members.append(member)
            group.inFlight[member] = 0
            group.prefetch[member] = prefetch
            return (groupID, group.takeAllWaiters())
        }
        resume(woken)
        return groupID
    }

    /// Removes `member`; its unsettled deliveries go back to the group. A private group is deleted.
    func leave(member: MemberID, group groupID: UInt64) {
        let woken = groups.withLock { groups -> [CheckedContinuation<Void, Never>] in
            guard let group = groups.byID[groupID] else { return [] }
            group.reclaim(from: member)
            group.members.removeAll { $0 == member }
            group.inFlight[member] = nil
            group.prefetch[member] = nil
            if group.isPrivate {
                groups.byID[groupID] = nil
            }
            return group.takeAllWaiters()
        }
        resume(woken)
    }

    /// Returns every delivery in flight to its group, as a broker restart does.
    func reclaimAll() {
        groups.withLock { groups in
            for group in groups.byID.values {
                for member in group.members {
                    group.reclaim(from: member)
                }
            }
        }
    }

    /// Wakes every waiting member, so each fetches again.
    func wakeAll() {
        let woken = groups.withLock { groups in
            groups.byID.values.flatMap { $0.takeAllWaiters() }
        }
        resume(woken)
    }

    // MARK: Consuming

    /// Takes up to `maxMessages` deliveries for `member`, or registers `waiter` when there are none.
    ///
    /// `isAvailable` is read under the groups lock so that a broker restart cannot slip between the check
    /// and the registration. `isCancelled` is read there too, for the same reason.
    func fetch(
        member: MemberID,
        group groupID: UInt64,
        maxMessages: Int,
        isAvailable: () -> Bool,
        waitID: UInt64,
        waiter: CheckedContinuation<Void, Never>
    ) -> FetchResult {
        groups.withLock { groups in
            guard let group = groups.byID[groupID], group.inFlight[member] != nil else { return .left }
            watchers.add(1, ordering: .sequentiallyConsistent)
            let partitions = group.partitions(of: member)
            let open = isAvailable() && !Task.isCancelled
            let taken = logs.withLock { logs in
                for partition in partitions {
                    if let (holder, dropped) = group.progress[partition].skip(below: logs.partitions[partition].startOffset) {
                        group.inFlight[holder]? -= dropped
                    }
                }
                var taken: [ReceivedMessage] = []
                guard open else { return taken }
                let inFlight = group.inFlight[member]!
                let limit = min(maxMessages, group.prefetch[member]! - inFlight)
                for partition in partitions where taken.count < limit && group.progress[partition].isAvailable(to: member) {
                    group.progress[partition].take(
                        for: member,
                        partition: partition,
                        log: logs.partitions[partition],
                        limit: limit,
                        windowLimit: windowLimit,
                        into: &taken
                    )
                }
                group.inFlight[member] = inFlight + taken.count
                return taken
            }
            if taken.isEmpty && !Task.isCancelled {
                group.waiters[waitID] = (member, waiter)
                return .waiting
            }
            watchers.subtract(1, ordering: .sequentiallyConsistent)
            return .messages(taken)
        }
    }

    /// How many receives, in every group, wait for something to deliver.
    var waitingReceives: Int {
        groups.withLock { groups in groups.byID.values.reduce(0) { $0 + $1.waiters.count } }
    }

    /// Removes the waiter registered as `waitID`, if it is still registered, and returns it.
    func cancelWait(_ waitID: UInt64, group groupID: UInt64) -> CheckedContinuation<Void, Never>? {
        let waiter = groups.withLock { $0.byID[groupID]?.waiters.removeValue(forKey: waitID)?.continuation }
        if waiter != nil {
            watchers.subtract(1, ordering: .sequentiallyConsistent)
        }
        return waiter
    }

    // MARK: Settling

    /// How a settlement changes a slot held by the member.
    enum Settlement {
        case ack
        /// Deliver again, counting this delivery as an attempt.
        case requeue
        /// Deliver again as if this delivery never happened, ahead of other redeliveries. Pass the tokens
        /// in reverse order to keep their original order.
        case release
    }

    /// Settles the deliveries `tokens` held by `member`. Throws ``SwitchyardError/Code/alreadySettled`` when
    /// one is not held by it.
    func settle(_ tokens: some Collection<DeliveryToken>, as settlement: Settlement, member: MemberID, group groupID: UInt64) throws(SwitchyardError) {
        let (woken, failure) = groups.withLock { groups -> ([CheckedContinuation<Void, Never>], SwitchyardError?) in
            guard let group = groups.byID[groupID] else {
                return ([], Self.notHeld(tokens.first))
            }
            var settled = 0
            var failure: SwitchyardError?
            for token in tokens {
                if group.progress[Int(token.partition)].settle(token, as: settlement, member: member) {
                    settled += 1
                } else {
                    failure = Self.notHeld(token)
                }
            }
            group.inFlight[member]? -= settled
            let woken = settled > 0 && !group.waiters.isEmpty ? group.takeAllWaiters() : []
            return (woken, failure)
        }
        resume(woken)
        if let failure { throw failure }
    }

    private static func notHeld(_ token: DeliveryToken?) -> SwitchyardError {
        let position = token.map { "partition \($0.partition) offset \($0.sequence)" } ?? "this delivery"
        return SwitchyardError(
            .alreadySettled,
            "The delivery at \(position) is no longer held by this consumer: it was already settled, or it went back to the group when the consumer closed or the broker restarted. It will be (or was) delivered again."
        )
    }
}
