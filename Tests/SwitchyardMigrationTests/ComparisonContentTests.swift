import Switchyard
import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonContentTests {
    @Test func aDifferentPayloadIsAMismatchNamingBothSizes() {
        var comparison = comparator()
        comparison.observe(crafted("x", payload: "price=97012.5", publishedAt: 1_000_000), on: .primary, receivedAt: 1_000_100)
        comparison.observe(crafted("x", payload: "price=97012.50", publishedAt: 1_000_000), on: .secondary, receivedAt: 1_000_200)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.matched == 1)
        #expect(report.mismatches.total == 1 && report.mismatches.payload == 1 && report.mismatches.headers == 0)
        let sample = try! #require(report.mismatches.samples.first)
        #expect(sample.kinds == ["payload"])
        #expect(sample.primaryPayloadBytes == 13 && sample.secondaryPayloadBytes == 14)
        #expect(sample.primaryPayloadDigest != sample.secondaryPayloadDigest)
        #expect(report.verdict.failures.map(\.name) == ["mismatched"])
    }

    @Test func aSamePayloadOfTheSameSizeWithOneByteChangedIsAMismatch() {
        var comparison = comparator()
        comparison.observe(Message(id: "x", key: nil, payload: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], publishedAt: 1), on: .secondary, receivedAt: 10)
        comparison.observe(Message(id: "x", key: nil, payload: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8], publishedAt: 1), on: .primary, receivedAt: 20)
        #expect(comparison.finish(at: 30).mismatches.payload == 1)
    }

    @Test func aDifferentHeaderValueIsAMismatchNamingTheHeader() {
        var comparison = comparator()
        let primary = crafted("x", headers: [MessageHeader(name: "source", value: "feed"), MessageHeader(name: "trace", value: "a1")], publishedAt: 1_000_000)
        var secondary = primary
        secondary.headers = [MessageHeader(name: "trace", value: "b2"), MessageHeader(name: "source", value: "feed")]
        comparison.observe(primary, on: .primary, receivedAt: 1_000_100)
        comparison.observe(secondary, on: .secondary, receivedAt: 1_000_200)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.mismatches.headers == 1 && report.mismatches.payload == 0)
        #expect(report.mismatches.samples.first?.headers == [ComparisonReport.HeaderDifference(name: "trace", primary: ["a1"], secondary: ["b2"])])
    }

    @Test func headersInAnotherOrderOfNamesAreEqualButARepeatedNamesOrderIsNot() {
        var comparison = comparator()
        let a = MessageHeader(name: "a", value: "1")
        let b = MessageHeader(name: "b", value: "2")
        let b3 = MessageHeader(name: "b", value: "3")
        comparison.observe(crafted("x", headers: [a, b], publishedAt: 1), on: .primary, receivedAt: 10)
        comparison.observe(crafted("x", headers: [b, a], publishedAt: 1), on: .secondary, receivedAt: 11)
        comparison.observe(crafted("y", headers: [b, b3], publishedAt: 2), on: .primary, receivedAt: 12)
        comparison.observe(crafted("y", headers: [b3, b], publishedAt: 2), on: .secondary, receivedAt: 13)
        let report = comparison.finish(at: 100)
        #expect(report.mismatches.total == 1)
        #expect(report.mismatches.samples.map(\.id) == ["y"])
    }

    @Test func ignoredHeadersDoNotMakeAMismatchByNameOrPrefix() {
        var comparison = comparator(rules: ComparisonRules(ignoredHeaders: ["hop-time", "x-trace-*"]))
        let primary = crafted(
            "x",
            headers: [MessageHeader(name: "source", value: "feed"), MessageHeader(name: "hop-time", value: "1"), MessageHeader(name: "x-trace-id", value: "a")],
            publishedAt: 1_000_000
        )
        var secondary = primary
        secondary.headers = [MessageHeader(name: "source", value: "feed"), MessageHeader(name: "hop-time", value: "2"), MessageHeader(name: "x-trace-span", value: "b")]
        comparison.observe(primary, on: .primary, receivedAt: 1_000_100)
        comparison.observe(secondary, on: .secondary, receivedAt: 1_000_200)
        var unignored = primary
        unignored.id = "y"
        var changed = unignored
        changed.headers[0] = MessageHeader(name: "source", value: "replay")
        comparison.observe(unignored, on: .primary, receivedAt: 1_000_300)
        comparison.observe(changed, on: .secondary, receivedAt: 1_000_400)
        let report = comparison.finish(at: 2_000_000)
        #expect(report.mismatches.total == 1)
        #expect(report.mismatches.samples.first?.id == "y")
        #expect(report.mismatches.samples.first?.headers.map(\.name) == ["source"])
    }

    @Test func aDifferentKeyIsAMismatch() {
        var comparison = comparator()
        comparison.observe(crafted("x", key: "a", publishedAt: 1), on: .primary, receivedAt: 10)
        comparison.observe(crafted("x", key: nil, publishedAt: 1), on: .secondary, receivedAt: 11)
        let report = comparison.finish(at: 100)
        #expect(report.mismatches.key == 1)
        #expect(report.mismatches.samples.first?.primaryKey == "a" && report.mismatches.samples.first?.secondaryKey == nil)
    }
}
