import DequeModule
import Switchyard

/// Identifies one consumer within the broker.
typealias MemberID = UInt64

/// The state of one delivery between the committed position and the fetch cursor.
enum Slot: Equatable {
    /// Handed to `member`; this is delivery number `attempt`.
    case inFlight(member: MemberID, attempt: Int32)
    /// Waiting to be delivered again; it has been delivered `attempts` times so far.
    case pending(attempts: Int32)
    /// Settled; the committed position moves past it once everything before it is settled too.
    case acked
}

/// A group's progress through one partition.
///
/// Offsets below `committed` are settled. Offsets in `committed..<cursor` have a slot in `window`. Offsets
/// from `cursor` on have never been delivered to this group.
///
/// At most one member holds deliveries of a partition at a time. When a partition moves to another
/// member, the new owner waits until the old one has settled or given back what it holds, so messages
/// with one key are never processed by two members out of order.
struct PartitionProgress {
    var committed: Int64
    var cursor: Int64
    var window: Deque<Slot> = []
    /// Offsets whose slot is `.pending`, in the order they should be delivered again.
    var redeliveries: Deque<Int64> = []
    /// The member holding this partition's in-flight deliveries, if any.
    private(set) var holder: MemberID?
    /// How many deliveries `holder` holds here.
    private(set) var held = 0

    init(position: Int64) {
        committed = position
        cursor = position
    }

    /// Whether `member` may take deliveries from this partition now.
    func isAvailable(to member: MemberID) -> Bool {
        holder == nil || holder == member
    }

    /// Takes up to `limit - taken.count` deliveries for `member`: redeliveries first, then new offsets up
    /// to `windowLimit` beyond the committed position.
    mutating func take(
        for member: MemberID,
        partition: Int,
        log: PartitionLog,
        limit: Int,
        windowLimit: Int,
        into taken: inout [ReceivedMessage]
    ) {
        let before = taken.count
        while taken.count < limit, let offset = redeliveries.popFirst() {
            let index = Int(offset - committed)
            guard index >= 0, index < window.count, case .pending(let attempts) = window[index],
                let message = log.message(at: offset)
            else { continue }
            window[index] = .inFlight(member: member, attempt: attempts + 1)
            taken.append(Self.received(message, partition: partition, offset: offset, attempt: attempts + 1))
        }
        while taken.count < limit, cursor < log.endOffset, window.count < windowLimit {
            window.append(.inFlight(member: member, attempt: 1))
            taken.append(Self.received(log.message(at: cursor)!, partition: partition, offset: cursor, attempt: 1))
            cursor += 1
        }
        if taken.count > before {
            holder = member
            held += taken.count - before
        }
    }

    /// Wraps `message`, taking it over rather than copying it (a copy retains each of its buffers).
    private static func received(_ message: consuming Message, partition: Int, offset: Int64, attempt: Int32) -> ReceivedMessage {
        ReceivedMessage(
            message: message,
            position: DeliveryPosition(partition: Int32(partition), offset: offset),
            deliveryAttempt: Int(attempt),
            token: DeliveryToken(partition: Int32(partition), sequence: offset, epoch: UInt64(attempt))
        )
    }

    /// Moves the committed position past the settled prefix.
    private mutating func advanceCommitted() {
        while let first = window.first, first == .acked {
            window.removeFirst()
            committed += 1
        }
    }

    /// Returns every delivery held by `member` to the redelivery queue.
    mutating func reclaim(from member: MemberID) {
        guard holder == member else { return }
        for index in window.indices {
            if case .inFlight(member, let attempt) = window[index] {
                window[index] = .pending(attempts: attempt)
                redeliveries.append(committed + Int64(index))
            }
        }
        holder = nil
        held = 0
    }

    /// Settles the delivery `token` names if `member` holds it, and says whether it did. A token from an
    /// earlier delivery of the same offset settles nothing.
    mutating func settle(_ token: DeliveryToken, as settlement: TopicLog.Settlement, member: MemberID) -> Bool {
        let index = Int(token.sequence - committed)
        guard index >= 0, index < window.count, case .inFlight(member, let attempt) = window[index],
            UInt64(attempt) == token.epoch
        else {
            return false
        }
        switch settlement {
        case .ack:
            window[index] = .acked
            advanceCommitted()
        case .requeue:
            window[index] = .pending(attempts: attempt)
            redeliveries.append(token.sequence)
        case .release:
            window[index] = .pending(attempts: attempt - 1)
            redeliveries.prepend(token.sequence)
        }
        held -= 1
        if held == 0 { holder = nil }
        return true
    }

    /// Forgets offsets that retention has dropped from the log, and returns the member that held dropped
    /// deliveries with how many it held, so its in-flight count can be given back.
    mutating func skip(below start: Int64) -> (member: MemberID, dropped: Int)? {
        guard committed < start else { return nil }
        let count = min(Int(min(start, cursor) - committed), window.count)
        var droppedInFlight = 0
        for slot in window.prefix(count) {
            if case .inFlight = slot { droppedInFlight += 1 }
        }
        window.removeFirst(count)
        committed = start
        cursor = max(cursor, start)
        redeliveries.removeAll { $0 < start }
        guard droppedInFlight > 0, let member = holder else { return nil }
        held -= droppedInFlight
        if held == 0 { holder = nil }
        return (member, droppedInFlight)
    }
}

/// One consumer group on one topic: its members and its progress through every partition.
///
/// Partitions are shared out among members by position: partition `p` belongs to member
/// `p % members.count` in joining order, which keeps per-key order within a partition.
///
/// A reference type so that the hot paths mutate it in place; it is only ever touched under its
/// ``TopicLog``'s lock.
final class GroupState {
    let isPrivate: Bool
    var progress: [PartitionProgress]
    var members: [MemberID] = []
    var inFlight: [MemberID: Int] = [:]
    var prefetch: [MemberID: Int] = [:]
    /// Receives waiting for something to deliver, by wait id. A member may have several.
    var waiters: [UInt64: (member: MemberID, continuation: CheckedContinuation<Void, Never>)] = [:]

    init(isPrivate: Bool, positions: [Int64]) {
        self.isPrivate = isPrivate
        self.progress = positions.map(PartitionProgress.init(position:))
    }

    func owner(of partition: Int) -> MemberID? {
        members.isEmpty ? nil : members[partition % members.count]
    }

    func partitions(of member: MemberID) -> [Int] {
        guard let index = members.firstIndex(of: member) else { return [] }
        return Array(stride(from: index, to: progress.count, by: members.count))
    }

    /// Puts the group at `positions`, forgetting deliveries in flight.
    func reposition(to positions: [Int64]) {
        progress = positions.map(PartitionProgress.init(position:))
        for member in members { inFlight[member] = 0 }
    }

    /// Returns every delivery held by `member` to its partition's redelivery queue.
    func reclaim(from member: MemberID) {
        for partition in progress.indices {
            progress[partition].reclaim(from: member)
        }
        inFlight[member] = 0
    }

    /// Takes the waiters of every member, to be resumed outside the lock.
    func takeAllWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { waiters.removeAll() }
        return waiters.values.map(\.continuation)
    }

    /// Moves the waiters of `member` into `woken`, to be resumed outside the lock.
    func takeWaiters(of member: MemberID, into woken: inout [CheckedContinuation<Void, Never>]) {
        var ids: [UInt64] = []
        for (id, waiter) in waiters where waiter.member == member {
            ids.append(id)
        }
        for id in ids {
            if let waiter = waiters.removeValue(forKey: id) {
                woken.append(waiter.continuation)
            }
        }
    }
}
