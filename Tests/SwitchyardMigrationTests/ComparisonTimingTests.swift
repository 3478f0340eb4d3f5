import Switchyard
import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonTimingTests {
    @Test func aCopyArrivingWithinTheGraceWindowMatches() {
        var comparison = comparator(grace: 5_000)
        let message = crafted("x", publishedAt: 1_000_000)
        comparison.observe(message, on: .primary, receivedAt: 1_000_100)
        comparison.observe(crafted("other", publishedAt: 1_004_000), on: .primary, receivedAt: 1_004_100)
        comparison.observe(message, on: .secondary, receivedAt: 1_005_100)
        let report = comparison.finish(at: 1_005_200)
        #expect(report.matched == 1)
        #expect(report.secondary.missing == 1, "only 'other' is missing")
        #expect(report.secondary.late == 0)
        #expect(report.skew.arrivalGap.maxMilliseconds == 5 && report.skew.arrivalGap.secondaryLater == 1)
    }

    @Test func aCopyArrivingAfterTheGraceWindowIsLateNotMissing() {
        var comparison = comparator(grace: 5_000)
        let message = crafted("x", publishedAt: 1_000_000)
        comparison.observe(message, on: .primary, receivedAt: 1_000_100)
        comparison.advance(to: 1_010_000)
        #expect(comparison.progress.missing == 1)
        comparison.observe(message, on: .secondary, receivedAt: 1_020_100)
        #expect(comparison.progress.missing == 0)
        let report = comparison.finish(at: 1_030_000)
        #expect(report.secondary.missing == 0 && report.secondary.late == 1)
        #expect(report.secondary.samples.late.first?.afterOtherSideMilliseconds == 20)
        #expect(report.secondary.samples.missing.isEmpty)
        #expect(report.matched == 0)
        #expect(report.timeline.bins.reduce(0) { $0 + $1.missing } == 0)
        #expect(report.timeline.bins.reduce(0) { $0 + $1.late } == 1)
        #expect(report.verdict.failures.map(\.name).contains("late"))
    }

    @Test func aLateCopyFoundByItsOwnArrivalIsLate() {
        var comparison = comparator(grace: 5_000)
        let message = crafted("x", publishedAt: 1_000_000)
        comparison.observe(message, on: .secondary, receivedAt: 1_000_100)
        comparison.observe(message, on: .primary, receivedAt: 1_005_101)
        let report = comparison.finish(at: 1_010_000)
        #expect(report.primary.late == 1 && report.primary.missing == 0)
    }

    @Test func aOneSidedMessagePublishedBeforeTheWindowIsUnexpectedNotMissing() {
        var comparison = comparator(windowStart: 1_000_000)
        comparison.observe(crafted("old", publishedAt: 999_000), on: .secondary, receivedAt: 1_000_100)
        comparison.observe(stream(2, start: 1_000_010), on: .primary)
        comparison.observe(stream(2, start: 1_000_010), on: .secondary)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.secondary.unexpected == 1 && report.primary.missing == 0)
        #expect(report.secondary.samples.unexpected.map(\.id) == ["old"])
        #expect(report.verdict.passed, "unexpected messages are not gated by default")
        var strict = comparator(thresholds: ComparisonThresholds(maxUnexpected: 0), windowStart: 1_000_000)
        strict.observe(crafted("old", publishedAt: 999_000), on: .secondary, receivedAt: 1_000_100)
        strict.observe(stream(2, start: 1_000_010), on: .primary)
        strict.observe(stream(2, start: 1_000_010), on: .secondary)
        #expect(strict.finish(at: 2_000_000).verdict.failures.map(\.name) == ["unexpected"])
    }

    @Test func aOneSidedMessageAfterTheClosedWindowIsUnexpected() {
        var comparison = comparator()
        comparison.observe(stream(2), on: .primary)
        comparison.observe(stream(2), on: .secondary)
        comparison.closeWindow(at: 1_500_000)
        comparison.observe(crafted("after", publishedAt: 1_600_000), on: .primary, receivedAt: 1_600_100)
        let report = comparison.finish(at: 1_700_000)
        #expect(report.primary.unexpected == 1 && report.secondary.missing == 0)
        #expect(report.run.windowEnd == 1_500_000)
    }

    @Test func withARequiredHeaderAOneSidedMessageWithoutItIsUnexpected() {
        let marker = MessageHeader(name: "dual-write", value: "1")
        var comparison = comparator(rules: ComparisonRules(requiredHeader: "dual-write"))
        comparison.observe(crafted("direct", publishedAt: 1_000_000), on: .primary, receivedAt: 1_000_100)
        comparison.observe(crafted("lost", headers: [marker], publishedAt: 1_000_001), on: .primary, receivedAt: 1_000_101)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.primary.unexpected == 1 && report.primary.samples.unexpected.map(\.id) == ["direct"])
        #expect(report.secondary.missing == 1 && report.secondary.samples.missing.map(\.id) == ["lost"])
    }

    @Test func thresholdsDecideTheVerdict() {
        func run(_ thresholds: ComparisonThresholds) -> ComparisonVerdict {
            var comparison = comparator(grace: 10_000, thresholds: thresholds)
            let messages = stream(10)
            comparison.observe(messages, on: .primary, latency: 100)
            comparison.observe(Array(messages.dropLast()), on: .secondary, latency: 2_100)
            return comparison.finish(at: 2_000_000).verdict
        }
        #expect(!run(ComparisonThresholds()).passed)
        #expect(run(ComparisonThresholds(maxMissing: 1)).passed)
        let skewed = run(ComparisonThresholds(maxMissing: 1, maxP99SkewMilliseconds: 1.5))
        #expect(!skewed.passed && skewed.failures.map(\.name) == ["p99SkewMilliseconds"])
        #expect(!run(ComparisonThresholds(maxMissing: 1, minMatched: 10)).passed)
    }

    @Test func anEmptyRunFailsBecauseItMatchedNothing() {
        var comparison = comparator()
        let report = comparison.finish(at: 1)
        #expect(!report.verdict.passed && report.verdict.failures.map(\.name) == ["matched"])
    }

    @Test func dualWriteFiguresAreReportedAndABacklogFailsTheVerdict() {
        var comparison = comparator()
        comparison.observe(stream(2), on: .primary)
        comparison.observe(stream(2), on: .secondary)
        let report = comparison.finish(at: 2_000_000, dualWrite: DualWriteFigures(secondaryWriteFailures: 3, spooled: 3, replayed: 1, spoolBacklog: 2))
        #expect(report.dualWrite?.spoolBacklog == 2)
        #expect(report.verdict.failures.map(\.name) == ["spoolBacklog"])
    }
}
