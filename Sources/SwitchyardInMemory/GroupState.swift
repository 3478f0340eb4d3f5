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
struct PartitionProgress {
    var committed: Int64
    var cursor: Int64
    var window: Deque<Slot> = []
    /// Offsets whose slot is `.pending`, in the order they should be delivered again.
    var redeliveries: Deque<Int64> = []

    init(position: Int64) {
        committed = position
        cursor = position
    }

    /// Moves the committed position past the settled prefix.
    mutating func advanceCommitted() {
        while let first = window.first, first == .acked {
            window.removeFirst()
            committed += 1
        }
    }

    /// Returns every delivery held by `member` to the redelivery queue.
    mutating func reclaim(from member: MemberID) {
        for index in window.indices {
            if case .inFlight(member, let attempt) = window[index] {
                window[index] = .pending(attempts: attempt)
                redeliveries.append(committed + Int64(index))
            }
        }
    }

    /// Settles `offset` if `member` holds it, and says whether it did.
    mutating func settle(_ offset: Int64, as settlement: TopicLog.Settlement, member: MemberID) -> Bool {
        let index = Int(offset - committed)
        guard index >= 0, index < window.count, case .inFlight(member, let attempt) = window[index] else {
            return false
        }
        switch settlement {
        case .ack:
            window[index] = .acked
            advanceCommitted()
        case .requeue:
            window[index] = .pending(attempts: attempt)
            redeliveries.append(offset)
        case .release:
            window[index] = .pending(attempts: attempt - 1)
            redeliveries.prepend(offset)
        }
        return true
    }

    /// Forgets offsets that retention has dropped from the log.
    mutating func skip(below start: Int64) {
        guard committed < start else { return }
        let dropped = Int(min(start, cursor) - committed)
        window.removeFirst(min(dropped, window.count))
        committed = start
        cursor = max(cursor, start)
        redeliveries.removeAll { $0 < start }
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

    func takeWaiters(of member: MemberID) -> [CheckedContinuation<Void, Never>] {
        let ids = waiters.filter { $0.value.member == member }.keys
        return ids.compactMap { waiters.removeValue(forKey: $0)?.continuation }
    }
}
