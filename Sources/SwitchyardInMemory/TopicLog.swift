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

/// One topic: its partitions and the groups reading it, guarded by one lock.
///
/// Appends, fetches and settlements are short critical sections; waiters are resumed after the lock is
/// released.
final class TopicLog: Sendable {
    private struct State {
        var partitions: [PartitionLog]
        var groups: [UInt64: GroupState] = [:]
        var namedGroups: [String: UInt64] = [:]
        var waitingReceives = 0
        var nextPartition = 0
    }

    let name: String
    let partitionCount: Int
    private let retention: Int
    private let windowLimit: Int
    private let state: Mutex<State>

    init(name: String, partitions: Int, retention: Int, windowLimit: Int) {
        self.name = name
        self.partitionCount = partitions
        self.retention = retention
        self.windowLimit = windowLimit
        self.state = Mutex(State(partitions: Array(repeating: PartitionLog(), count: partitions)))
    }

    // MARK: Producing

    /// Appends messages and returns their positions.
    func append(_ messages: [Message]) -> [DeliveryPosition] {
        var positions: [DeliveryPosition] = []
        positions.reserveCapacity(messages.count)
        let woken = state.withLock { state in
            var touched: Set<Int> = []
            for message in messages {
                let partition = Self.choosePartition(message.key, count: partitionCount, state: &state)
                let offset = state.partitions[partition].append(message, retention: retention)
                positions.append(DeliveryPosition(partition: Int32(partition), offset: offset))
                touched.insert(partition)
            }
            return state.waitingReceives == 0 ? [] : Self.takeWaiters(of: touched, state: &state)
        }
        for waiter in woken { waiter.resume() }
        return positions
    }

    /// Appends one message and returns its position.
    func append(_ message: Message) -> DeliveryPosition {
        let (position, woken) = state.withLock { state in
            let partition = Self.choosePartition(message.key, count: partitionCount, state: &state)
            let offset = state.partitions[partition].append(message, retention: retention)
            let woken = state.waitingReceives == 0 ? [] : Self.takeWaiters(of: [partition], state: &state)
            return (DeliveryPosition(partition: Int32(partition), offset: offset), woken)
        }
        for waiter in woken { waiter.resume() }
        return position
    }

    private static func choosePartition(_ key: [UInt8]?, count: Int, state: inout State) -> Int {
        if let key {
            return KeyPartitioner.partition(for: key, count: count)
        }
        defer { state.nextPartition = (state.nextPartition + 1) % count }
        return state.nextPartition
    }

    private static func takeWaiters(of partitions: Set<Int>, state: inout State) -> [CheckedContinuation<Void, Never>] {
        var woken: [CheckedContinuation<Void, Never>] = []
        for group in state.groups.values where !group.waiters.isEmpty {
            for partition in partitions {
                if let owner = group.owner(of: partition) {
                    woken += group.takeWaiters(of: owner)
                }
            }
        }
        state.waitingReceives -= woken.count
        return woken
    }

    // MARK: Membership

    /// Adds `member` to the group named `name` (a new private group when `name` is `nil`), creating the
    /// group at `start` if it is new, and returns the group's id. A start position other than
    /// ``StartPosition/committed`` repositions an existing group that has no other member.
    func join(member: MemberID, name: String?, groupID newID: UInt64, start: StartPosition, prefetch: Int) -> UInt64 {
        let (groupID, woken) = state.withLock { state in
            let positions = state.partitions.map { log -> Int64 in
                switch start {
                case .earliest: log.startOffset
                case .latest, .committed: log.endOffset
                case .timestamp(let microseconds): log.firstOffset(publishedAtOrAfter: microseconds)
                }
            }
            let groupID = name.flatMap { state.namedGroups[$0] } ?? newID
            let group: GroupState
            if let existing = state.groups[groupID] {
                group = existing
                if start != .committed && group.members.isEmpty {
                    group.reposition(to: positions)
                }
            } else {
                group = GroupState(isPrivate: name == nil, positions: positions)
                state.groups[groupID] = group
                if let name { state.namedGroups[name] = groupID }
            }
            group.members.append(member)
            group.inFlight[member] = 0
            group.prefetch[member] = prefetch
            let woken = group.takeAllWaiters()
            state.waitingReceives -= woken.count
            return (groupID, woken)
        }
        for waiter in woken { waiter.resume() }
        return groupID
    }

    /// Removes `member`; its unsettled deliveries go back to the group. A private group is deleted.
    func leave(member: MemberID, group groupID: UInt64) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let group = state.groups[groupID] else { return [] }
            group.reclaim(from: member)
            group.members.removeAll { $0 == member }
            group.inFlight[member] = nil
            group.prefetch[member] = nil
            let woken = group.takeAllWaiters()
            state.waitingReceives -= woken.count
            if group.isPrivate {
                state.groups[groupID] = nil
            }
            return woken
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns every delivery in flight to its group, as a broker restart does.
    func reclaimAll() {
        state.withLock { state in
            for group in state.groups.values {
                for member in group.members {
                    group.reclaim(from: member)
                }
            }
        }
    }

    /// Wakes every waiting member, so each fetches again.
    func wakeAll() {
        let woken = state.withLock { state in
            var woken: [CheckedContinuation<Void, Never>] = []
            for group in state.groups.values {
                woken += group.takeAllWaiters()
            }
            state.waitingReceives -= woken.count
            return woken
        }
        for waiter in woken { waiter.resume() }
    }

    // MARK: Consuming

    /// Takes up to `maxMessages` deliveries for `member`, or registers `waiter` when there are none.
    ///
    /// `isAvailable` is read under the topic lock so that a broker restart cannot slip between the check
    /// and the registration. `isCancelled` is read there too, for the same reason.
    func fetch(
        member: MemberID,
        group groupID: UInt64,
        maxMessages: Int,
        isAvailable: () -> Bool,
        waitID: UInt64,
        waiter: CheckedContinuation<Void, Never>
    ) -> FetchResult {
        state.withLock { state in
            guard let group = state.groups[groupID], group.inFlight[member] != nil else { return .left }
            let partitions = group.partitions(of: member)
            for partition in partitions {
                if let (holder, dropped) = group.progress[partition].skip(below: state.partitions[partition].startOffset) {
                    group.inFlight[holder]? -= dropped
                }
            }
            var taken: [ReceivedMessage] = []
            if isAvailable() && !Task.isCancelled {
                let inFlight = group.inFlight[member]!
                let limit = min(maxMessages, group.prefetch[member]! - inFlight)
                for partition in partitions where taken.count < limit && group.progress[partition].isAvailable(to: member) {
                    group.progress[partition].take(
                        for: member,
                        partition: partition,
                        log: state.partitions[partition],
                        limit: limit,
                        windowLimit: windowLimit,
                        into: &taken
                    )
                }
                group.inFlight[member] = inFlight + taken.count
            }
            if taken.isEmpty && !Task.isCancelled {
                group.waiters[waitID] = (member, waiter)
                state.waitingReceives += 1
                return .waiting
            }
            return .messages(taken)
        }
    }

    /// Removes the waiter registered as `waitID`, if it is still registered, and returns it.
    func cancelWait(_ waitID: UInt64, group groupID: UInt64) -> CheckedContinuation<Void, Never>? {
        state.withLock { state in
            guard let waiter = state.groups[groupID]?.waiters.removeValue(forKey: waitID) else { return nil }
            state.waitingReceives -= 1
            return waiter.continuation
        }
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
        let (woken, failure) = state.withLock { state -> ([CheckedContinuation<Void, Never>], SwitchyardError?) in
            guard let group = state.groups[groupID] else {
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
            var woken: [CheckedContinuation<Void, Never>] = []
            if settled > 0, !group.waiters.isEmpty {
                woken = group.takeAllWaiters()
                state.waitingReceives -= woken.count
            }
            return (woken, failure)
        }
        for waiter in woken { waiter.resume() }
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
