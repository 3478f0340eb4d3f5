import Switchyard
import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonMemoryTests {
    @Test func theWindowStaysBoundedWhileManyIdsStreamThrough() {
        let total = 200_000
        let lag = 50
        var comparison = comparator(grace: 1_000, limits: ComparisonLimits(settledMemory: 10_000))
        var largestPending = 0
        var largestExpiryOrder = 0
        for index in 0..<total {
            let published = Int64(index) * 10
            comparison.observe(crafted("id-\(index)", key: "k\(index % 16)", publishedAt: published), on: .primary, receivedAt: published + 5)
            let behind = index - lag
            if behind >= 0, behind % 1_000 != 999 {
                let lagging = Int64(behind) * 10
                comparison.observe(crafted("id-\(behind)", key: "k\(behind % 16)", publishedAt: lagging), on: .secondary, receivedAt: published + 6)
            }
            let footprint = comparison.windowFootprint
            largestPending = max(largestPending, footprint.pending)
            largestExpiryOrder = max(largestExpiryOrder, footprint.expiryOrder)
            #expect(footprint.settled <= 10_000)
        }
        let report = comparison.finish(at: Int64(total) * 10 + 10_000)
        #expect(largestPending <= 1_000 / 10 + lag + 2, "grace plus lag worth of messages")
        #expect(largestExpiryOrder <= 2 * largestPending + 4_096)
        #expect(report.secondary.missing == (0..<total).filter { $0 >= total - lag || $0 % 1_000 == 999 }.count)
        #expect(report.matched == total - report.secondary.missing)
        #expect(report.memory.forcedEvictions == 0)
        #expect(report.keys.tracked == 16)
    }

    @Test func pastTheMaximumPendingTheOldestIsGivenUpAndTheVerdictFails() {
        var comparison = comparator(grace: 1_000_000_000, limits: ComparisonLimits(maxPending: 100))
        comparison.observe(stream(1_000), on: .primary)
        #expect(comparison.progress.pending == 100)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.memory.forcedEvictions == 900 && report.memory.peakPending == 101)
        #expect(report.secondary.missing == 1_000)
        #expect(report.verdict.failures.map(\.name).contains("windowOverflow"))
    }

    @Test func keysBeyondTheLimitAreCountedTogether() {
        var comparison = comparator(limits: ComparisonLimits(maxTrackedKeys: 3))
        let messages = (0..<10).map { crafted("m\($0)", key: "key\($0)", publishedAt: 1_000 + Int64($0)) }
        comparison.observe(messages, on: .primary)
        comparison.observe(messages, on: .secondary)
        let report = comparison.finish(at: 1_000_000)
        #expect(report.keys.tracked == 3 && report.keys.untrackedPrimary == 7 && report.keys.untrackedSecondary == 7)
    }

    @Test func theTimelineKeepsAtMostItsBinsAsTheRunGrows() {
        var comparison = comparator(limits: ComparisonLimits(timelineBins: 10))
        let messages = (0..<1_000).map { crafted("m\($0)", publishedAt: Int64($0) * 100_000) }
        for message in messages {
            comparison.observe([message], on: .primary)
            comparison.observe([message], on: .secondary)
        }
        let report = comparison.finish(at: 100_000_000)
        #expect(report.timeline.bins.count <= 10)
        #expect(report.timeline.bins.reduce(0) { $0 + $1.matched } == 1_000)
        #expect(report.timeline.bins.reduce(0) { $0 + $1.primary } == 1_000)
    }
}
