import Switchyard
import Testing

@testable import SwitchyardKafka

struct ConsumerLedgerTests {
    private func ledger(prefetch: Int = 10, fetched offsets: ClosedRange<Int64>, partition: Int32 = 0) -> ConsumerLedger {
        var ledger = ConsumerLedger(prefetch: prefetch)
        ledger.assign([partition])
        for offset in offsets {
            _ = ledger.add(Message(payload: []), partition: partition, offset: offset)
        }
        return ledger
    }

    @Test func outOfOrderAcksCommitOnlyTheContiguousPrefix() throws {
        var ledger = ledger(fetched: 0...4)
        let taken = ledger.take(5)
        try ledger.ack(taken[1].token)
        try ledger.ack(taken[3].token)
        #expect(ledger.commitPoints().map(\.offset) == [0])
        try ledger.ack(taken[0].token)
        #expect(ledger.commitPoints().map(\.offset) == [2])
        try ledger.ack(taken[2].token)
        try ledger.ack(taken[4].token)
        #expect(ledger.commitPoints().map(\.offset) == [5])
    }

    @Test func aCommittedPointIsNotCommittedAgain() throws {
        var ledger = ledger(fetched: 0...1)
        for delivery in ledger.take(2) { try ledger.ack(delivery.token) }
        let points = ledger.commitPoints()
        ledger.committed(points)
        #expect(ledger.commitPoints().isEmpty)
    }

    @Test func revokedDeliveriesCannotBeSettledOrCommitted() throws {
        var ledger = ledger(fetched: 0...2)
        let taken = ledger.take(3)
        ledger.revoke([0])
        #expect(ledger.commitPoints().isEmpty)
        #expect(throws: SwitchyardError.self) { try ledger.ack(taken[0].token) }
        ledger.assign([0])
        #expect(throws: SwitchyardError.self) { try ledger.ack(taken[0].token) }
    }

    @Test func takeNeverHandsOutMoreThanThePrefetch() throws {
        var ledger = ledger(prefetch: 3, fetched: 0...9)
        #expect(ledger.take(100).count == 3)
        #expect(ledger.take(100).isEmpty)
        #expect(ledger.isFull)
    }

    @Test func requeueRedeliversFirstWithTheAttemptRaisedAndHoldsTheCommitPoint() throws {
        var ledger = ledger(fetched: 0...1)
        let first = ledger.take(1)[0]
        try ledger.requeue(first.token)
        let again = ledger.take(1)[0]
        #expect(again.token == first.token)
        #expect(again.deliveryAttempt == 2)
        #expect(ledger.commitPoints().map(\.offset) == [0])
        try ledger.ack(again.token)
        #expect(ledger.commitPoints().map(\.offset) == [1])
        #expect(throws: SwitchyardError.self) { try ledger.ack(again.token) }
    }

    @Test func releasedDeliveriesComeBackInOrderWithoutAnAttempt() throws {
        var ledger = ledger(fetched: 0...2)
        let taken = ledger.take(3)
        ledger.release(taken.map(\.token))
        let again = ledger.take(3)
        #expect(again.map(\.token) == taken.map(\.token))
        #expect(again.allSatisfy { $0.deliveryAttempt == 1 })
    }

    @Test func aStartTimeSkipsEarlierRecordsAndCommitsPastThem() throws {
        var ledger = ConsumerLedger(prefetch: 10)
        ledger.assign([0], skipping: [0: 1_000])
        let early = ledger.add(Message(payload: [], publishedAt: 500), partition: 0, offset: 0)
        let atStart = ledger.add(Message(payload: [], publishedAt: 1_000), partition: 0, offset: 1)
        let afterStart = ledger.add(Message(payload: [], publishedAt: 900), partition: 0, offset: 2)
        #expect(!early && atStart && afterStart)
        #expect(ledger.take(10).map(\.token.sequence) == [1, 2])
        #expect(ledger.commitPoints().map(\.offset) == [1])
    }

    @Test func aRevokingPartitionKeepsItsOutstandingDeliveriesAckableButHandsOutNothingMore() throws {
        var ledger = ledger(fetched: 0...3)
        let out = ledger.take(2)
        ledger.beginRevoking([0])
        #expect(ledger.outstandingCount(in: [0]) == 2)
        #expect(ledger.take(10).isEmpty)
        let late = ledger.add(Message(payload: []), partition: 0, offset: 4)
        #expect(!late)
        try ledger.ack(out[0].token)
        try ledger.requeue(out[1].token)
        #expect(ledger.take(10).isEmpty)
        #expect(ledger.outstandingCount(in: [0]) == 0)
        #expect(ledger.commitPoints().map(\.offset) == [1])
    }

    @Test func anOlderCommitReportedLateDoesNotMoveTheCommittedPointBack() throws {
        var ledger = ledger(fetched: 0...3)
        let taken = ledger.take(4)
        try ledger.ack(taken[0].token)
        let older = ledger.commitPoints()
        try ledger.ack(taken[1].token)
        let newer = ledger.commitPoints()
        ledger.committed(newer)
        ledger.committed(older)
        #expect(ledger.commitPoints().isEmpty)
    }

    @Test func aRevokeCarriesAckedProgressThatWasNotCommittedToTheNextAssignmentOnly() throws {
        var ledger = ledger(fetched: 0...3)
        let taken = ledger.take(4)
        try ledger.ack(taken[0].token)
        try ledger.ack(taken[1].token)
        ledger.revoke([0])
        let carried = ledger.takeCarried()
        let carriedAgain = ledger.takeCarried()
        #expect(carried == [0: 2])
        #expect(carriedAgain.isEmpty)

        var committedFirst = self.ledger(fetched: 0...1)
        for delivery in committedFirst.take(2) { try committedFirst.ack(delivery.token) }
        committedFirst.committed(committedFirst.commitPoints())
        committedFirst.revoke([0])
        let nothingCarried = committedFirst.takeCarried()
        #expect(nothingCarried.isEmpty)
    }

    @Test func aPartitionGivenBackResumesAfterCarriedProgressOnlyWhenTheGroupIsBehindIt() {
        let carried: [Int32: Int64] = [0: 10, 1: 10, 2: 10, 3: 10]
        let committed: [Int32: Int64?] = [0: 4, 1: 10, 2: 15, 3: nil]
        let resuming = ConsumerLedger.resumptions(carried: carried, committed: committed)
        #expect(resuming == [0: .init(next: 10, committed: 4), 3: .init(next: 10, committed: nil)])
    }

    @Test func aResumedPartitionCommitsItsCarriedProgressAndSkipsWhatCameBefore() throws {
        var ledger = ConsumerLedger(prefetch: 10)
        ledger.assign([0], resuming: [0: .init(next: 10, committed: 4)])
        #expect(ledger.commitPoints().map(\.offset) == [10])
        let before = ledger.add(Message(payload: []), partition: 0, offset: 9)
        let after = ledger.add(Message(payload: []), partition: 0, offset: 10)
        #expect(!before && after)
        #expect(ledger.commitPoints().map(\.offset) == [10])
    }
}
