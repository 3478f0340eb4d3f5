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
        var groups: [String: GroupState] = [:]
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
        for key in state.groups.keys {
            guard !state.groups[key]!.waiters.isEmpty else { continue }
            for partition in partitions {
                if let owner = state.groups[key]!.owner(of: partition) {
                    woken += state.groups[key]!.takeWaiters(of: owner)
                }
            }
        }
        state.waitingReceives -= woken.count
        return woken
    }

    // MARK: Membership

    /// Adds `member` to `group`, creating the group at `start` if it is new. A start position other than
    /// ``StartPosition/committed`` repositions an existing group that has no other member.
    func join(member: MemberID, group: String, isPrivate: Bool, start: StartPosition, prefetch: Int) {
        let woken = state.withLock { state in
            let positions = state.partitions.map { log -> Int64 in
                switch start {
                case .earliest: log.startOffset
                case .latest, .committed: log.endOffset
                case .timestamp(let microseconds): log.firstOffset(publishedAtOrAfter: microseconds)
                }
            }
            var groupState = state.groups[group] ?? GroupState(isPrivate: isPrivate, positions: positions)
            if start != .committed && groupState.members.isEmpty {
                groupState.reposition(to: positions)
            }
            groupState.members.append(member)
            groupState.inFlight[member] = 0
            groupState.prefetch[member] = prefetch
            let woken = groupState.takeAllWaiters()
            state.waitingReceives -= woken.count
            state.groups[group] = groupState
            return woken
        }
        for waiter in woken { waiter.resume() }
    }

    /// Removes `member`; its unsettled deliveries go back to the group. A private group is deleted.
    func leave(member: MemberID, group: String) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var groupState = state.groups[group] else { return [] }
            groupState.reclaim(from: member)
            groupState.members.removeAll { $0 == member }
            groupState.inFlight[member] = nil
            groupState.prefetch[member] = nil
            let woken = groupState.takeAllWaiters()
            state.waitingReceives -= woken.count
            state.groups[group] = groupState.isPrivate ? nil : groupState
            return woken
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns every delivery in flight to its group, as a broker restart does.
    func reclaimAll() {
        state.withLock { state in
            for key in state.groups.keys {
                for member in state.groups[key]!.members {
                    state.groups[key]!.reclaim(from: member)
                }
            }
        }
    }

    /// Wakes every waiting member, so each fetches again.
    func wakeAll() {
        let woken = state.withLock { state in
            var woken: [CheckedContinuation<Void, Never>] = []
            for key in state.groups.keys {
                woken += state.groups[key]!.takeAllWaiters()
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
        group: String,
        maxMessages: Int,
        isAvailable: () -> Bool,
        waitID: UInt64,
        waiter: CheckedContinuation<Void, Never>
    ) -> FetchResult {
        state.withLock { state in
            guard var groupState = state.groups[group], groupState.members.contains(member) else { return .left }
            var taken: [ReceivedMessage] = []
            if isAvailable() && !Task.isCancelled {
                let capacity = groupState.prefetch[member]! - groupState.inFlight[member]!
                let limit = min(maxMessages, capacity)
                if limit > 0 {
                    for partition in groupState.partitions(of: member) where taken.count < limit {
                        take(
                            from: partition,
                            log: state.partitions[partition],
                            progress: &groupState.progress[partition],
                            member: member,
                            limit: limit,
                            into: &taken
                        )
                    }
                    groupState.inFlight[member]! += taken.count
                }
            }
            if taken.isEmpty && !Task.isCancelled {
                groupState.waiters[waitID] = (member, waiter)
                state.waitingReceives += 1
                state.groups[group] = groupState
                return .waiting
            }
            state.groups[group] = groupState
            return .messages(taken)
        }
    }

    private func take(
        from partition: Int,
        log: PartitionLog,
        progress: inout PartitionProgress,
        member: MemberID,
        limit: Int,
        into taken: inout [ReceivedMessage]
    ) {
        progress.skip(below: log.startOffset)
        while taken.count < limit, let offset = progress.redeliveries.popFirst() {
            let index = Int(offset - progress.committed)
            guard index >= 0, index < progress.window.count, case .pending(let attempts) = progress.window[index],
                let message = log.message(at: offset)
            else { continue }
            progress.window[index] = .inFlight(member: member, attempt: attempts + 1)
            taken.append(received(message, partition: partition, offset: offset, attempt: attempts + 1))
        }
        while taken.count < limit, progress.cursor < log.endOffset, progress.window.count < windowLimit {
            let offset = progress.cursor
            progress.window.append(.inFlight(member: member, attempt: 1))
            progress.cursor += 1
            taken.append(received(log.message(at: offset)!, partition: partition, offset: offset, attempt: 1))
        }
    }

    private func received(_ message: Message, partition: Int, offset: Int64, attempt: Int32) -> ReceivedMessage {
        ReceivedMessage(
            message: message,
            position: DeliveryPosition(partition: Int32(partition), offset: offset),
            deliveryAttempt: Int(attempt),
            token: DeliveryToken(partition: Int32(partition), sequence: offset, epoch: 0)
        )
    }

    /// Removes the waiter registered as `waitID`, if it is still registered, and returns it.
    func cancelWait(_ waitID: UInt64, group: String) -> CheckedContinuation<Void, Never>? {
        state.withLock { state in
            guard let waiter = state.groups[group]?.waiters.removeValue(forKey: waitID) else { return nil }
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
    func settle(_ tokens: some Collection<DeliveryToken>, as settlement: Settlement, member: MemberID, group: String) throws(SwitchyardError) {
        let (woken, failure) = state.withLock { state -> ([CheckedContinuation<Void, Never>], SwitchyardError?) in
            guard var groupState = state.groups[group] else {
                return ([], Self.notHeld(tokens.first))
            }
            var settled = 0
            var failure: SwitchyardError?
            for token in tokens {
                let partition = Int(token.partition)
                var progress = groupState.progress[partition]
                let index = Int(token.sequence - progress.committed)
                guard index >= 0, index < progress.window.count,
                    case .inFlight(member, let attempt) = progress.window[index]
                else {
                    failure = Self.notHeld(token)
                    continue
                }
                switch settlement {
                case .ack:
                    progress.window[index] = .acked
                    progress.advanceCommitted()
                case .requeue:
                    progress.window[index] = .pending(attempts: attempt)
                    progress.redeliveries.append(token.sequence)
                case .release:
                    progress.window[index] = .pending(attempts: attempt - 1)
                    progress.redeliveries.prepend(token.sequence)
                }
                groupState.progress[partition] = progress
                settled += 1
            }
            groupState.inFlight[member]! -= settled
            var woken: [CheckedContinuation<Void, Never>] = []
            if settled > 0, !groupState.waiters.isEmpty {
                woken = groupState.takeAllWaiters()
                state.waitingReceives -= woken.count
            }
            state.groups[group] = groupState
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
