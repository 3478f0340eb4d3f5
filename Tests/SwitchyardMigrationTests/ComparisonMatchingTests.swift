import Switchyard
import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonMatchingTests {
    @Test func identicalStreamsMatchEveryMessageAndPass() {
        var comparison = comparator()
        let messages = stream(50)
        comparison.observe(messages, on: .primary, latency: 100)
        comparison.observe(messages, on: .secondary, latency: 300)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.matched == 50)
        #expect(report.primary.delivered == 50 && report.secondary.delivered == 50)
        #expect(report.primary.missing == 0 && report.secondary.missing == 0)
        #expect(report.mismatches.total == 0)
        #expect(report.primary.latency.p50Milliseconds == 0.1 && report.secondary.latency.p99Milliseconds == 0.3)
        #expect(abs((report.skew.p99Milliseconds ?? 0) - 0.2) < 1e-9)
        #expect(report.verdict.passed)
    }

    @Test func aMessageOneSideNeverDeliversIsMissingThereAfterTheGraceWindow() {
        var comparison = comparator(grace: 1_000)
        let messages = stream(3)
        comparison.observe(messages, on: .primary)
        comparison.observe([messages[0], messages[2]], on: .secondary)
        #expect(comparison.progress.pending == 1)
        comparison.advance(to: messages[1].publishedAt! + 100 + 999)
        #expect(comparison.progress.missing == 0, "still within the grace window")
        comparison.advance(to: messages[1].publishedAt! + 100 + 1_001)
        #expect(comparison.progress.missing == 1)
        let report = comparison.finish(at: 3_000_000)
        #expect(report.secondary.missing == 1 && report.primary.missing == 0)
        #expect(report.secondary.samples.missing.map(\.id) == ["m1"])
        #expect(report.matched == 2)
        #expect(!report.verdict.passed)
        #expect(report.verdict.failures.map(\.name) == ["missing"])
    }

    @Test func aMessageWaitingWhenTheRunFinishesIsMissing() {
        var comparison = comparator(grace: 10_000_000)
        comparison.observe(stream(2), on: .secondary)
        comparison.observe(Array(stream(2).prefix(1)), on: .primary)
        let report = comparison.finish(at: 1_000_500)
        #expect(report.primary.missing == 1)
        #expect(report.memory.givenUpAtEnd == 1)
    }

    @Test func repeatedDeliveriesAreDuplicatesOnTheirSideAndAreGatedOnlyWhenAsked() {
        let messages = stream(3)
        func run(_ thresholds: ComparisonThresholds) -> ComparisonReport {
            var comparison = comparator(thresholds: thresholds)
            comparison.observe(messages, on: .primary)
            comparison.observe([messages[0], messages[0]], on: .secondary)
            comparison.observe([messages[1], messages[1], messages[2]], on: .secondary)
            comparison.observe([messages[2]], on: .primary, latency: 500)
            return comparison.finish(at: 2_000_000)
        }
        let report = run(ComparisonThresholds())
        #expect(report.secondary.duplicates == 2 && report.primary.duplicates == 1)
        #expect(report.secondary.delivered == 3 && report.secondary.deliveries == 5)
        #expect(report.matched == 3 && report.mismatches.total == 0)
        #expect(Set(report.secondary.samples.duplicates.map(\.id)) == ["m0", "m1"])
        #expect(report.verdict.passed, "at-least-once allows duplicates by default")
        let strict = run(ComparisonThresholds(maxDuplicates: 0))
        #expect(!strict.verdict.passed && strict.verdict.failures.map(\.name) == ["duplicates"])
    }

    @Test func aReorderedKeyCountsItsInversionsWithTheLargestDisplacement() {
        var comparison = comparator()
        let messages = stream(6, key: "BTC-USD")
        comparison.observe(messages, on: .primary)
        let reordered = [messages[1], messages[2], messages[3], messages[4], messages[0], messages[5]]
        for (position, message) in reordered.enumerated() {
            comparison.observe(message, on: .secondary, receivedAt: 1_000_200 + Int64(position))
        }
        let report = comparison.finish(at: 2_000_000)
        #expect(report.primary.orderInversions == 0)
        #expect(report.secondary.orderInversions == 1)
        #expect(report.secondary.largestDisplacement == 4)
        let sample = try! #require(report.secondary.samples.inversions.first)
        #expect(sample.id == "m0" && sample.key == "BTC-USD" && sample.displacement == 4 && !sample.displacementIsLowerBound)
        #expect(report.keys.rows.first { $0.key == "BTC-USD" }?.secondaryInversions == 1)
        #expect(report.verdict.failures.map(\.name) == ["orderInversions"])
    }

    @Test func orderIsPerKeySoInterleavedKeysAreNotInversions() {
        var comparison = comparator()
        let a = stream(4, key: "a", start: 1_000_000, prefix: "a")
        let b = stream(4, key: "b", start: 1_000_001, prefix: "b")
        comparison.observe(a + b, on: .primary)
        comparison.observe(b + a, on: .secondary)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.secondary.orderInversions == 0)
        #expect(report.keys.rows.map(\.key) == ["a", "b"])
        #expect(report.keys.rows.map(\.primary) == [4, 4] && report.keys.rows.map(\.secondary) == [4, 4])
    }

    @Test func aDisplacementBeyondTheOrderHistoryIsALowerBound() {
        var comparison = comparator(limits: ComparisonLimits(orderHistory: 4))
        let messages = stream(10)
        comparison.observe(Array(messages[1...]) + [messages[0]], on: .secondary)
        let report = comparison.finish(at: 2_000_000)
        let sample = try! #require(report.secondary.samples.inversions.first)
        #expect(sample.displacement == 4 && sample.displacementIsLowerBound)
    }
}
