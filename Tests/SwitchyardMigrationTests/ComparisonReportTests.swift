import Foundation
import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonReportTests {
    /// A report with a finding of every kind, latencies that differ by side and a few seconds of time.
    static func eventfulReport() -> ComparisonReport {
        var comparison = comparator(grace: 200_000, rules: ComparisonRules(ignoredHeaders: ["hop"]), windowStart: 10_000_000)
        var arrivals: [(message: Message, side: ComparisonSide, at: Int64)] = []
        for index in 0..<3_000 {
            let published = 10_000_000 + Int64(index) * 1_000
            let message = crafted(
                "id-\(index)",
                key: "SYM-\(index % 6)",
                payload: "tick \(index)",
                headers: [MessageHeader(name: "source", value: "feed"), MessageHeader(name: "hop", value: "\(index)")],
                publishedAt: published
            )
            arrivals.append((message, .primary, published + 300 + Int64(index % 7) * 40))
            if index % 500 == 250 { continue }
            var copy = message
            if index % 700 == 10 { copy.payload = Array("tick \(index)!".utf8) }
            if index % 900 == 20 { copy.headers[0] = MessageHeader(name: "source", value: "replay") }
            copy.headers[1] = MessageHeader(name: "hop", value: "other")
            let delay: Int64 = index % 1_000 == 500 ? 400_000 : index % 1_000 == 800 ? 50_000 : 900 + Int64(index % 11) * 120
            arrivals.append((copy, .secondary, published + delay))
            if index % 400 == 30 { arrivals.append((copy, .secondary, published + delay + 5)) }
        }
        arrivals.append((crafted("id-before-window", key: "SYM-1", publishedAt: 9_999_000), .secondary, 12_000_000))
        arrivals.sort { $0.at < $1.at }
        for arrival in arrivals {
            comparison.observe(arrival.message, on: arrival.side, receivedAt: arrival.at)
        }
        return comparison.finish(at: 14_000_000, dualWrite: DualWriteFigures(secondaryWriteFailures: 4, spooled: 4, replayed: 4, spoolBacklog: 0))
    }

    @Test func theEventfulReportHasAFindingOfEveryKind() {
        let report = Self.eventfulReport()
        #expect(report.secondary.missing > 0)
        #expect(report.secondary.late > 0)
        #expect(report.secondary.duplicates > 0)
        #expect(report.secondary.orderInversions > 0)
        #expect(report.secondary.unexpected == 1)
        #expect(report.mismatches.payload > 0 && report.mismatches.headers > 0)
        #expect(!report.verdict.passed)
    }

    @Test func jsonRoundTripsTheWholeReport() throws {
        let report = Self.eventfulReport()
        let json = try report.json()
        let decoded = try ComparisonReport(json: json)
        #expect(decoded == report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(Set(object.keys) == ["formatVersion", "run", "primary", "secondary", "matched", "mismatches", "skew", "keys", "dualWrite", "memory", "timeline", "verdict"])
        let verdict = try #require(object["verdict"] as? [String: Any])
        #expect(verdict["passed"] as? Bool == false)
    }

    @Test func theTextSummaryShowsBothSidesTheFindingsAndTheVerdict() {
        let report = Self.eventfulReport()
        let text = report.textSummary()
        #expect(text.hasPrefix("compare 't': primary rabbitmq vs secondary kafka"))
        #expect(text.contains("missing on secondary (\(report.secondary.missing)): id-250"))
        #expect(text.contains("mismatched (\(report.mismatches.total)): id-10 (payload 7 vs 8 bytes)"))
        #expect(text.contains("header source [feed] vs [replay]"))
        #expect(text.contains("ignoring headers hop"))
        #expect(text.hasSuffix("\n") && text.contains("verdict: FAIL (missing"))
    }

    @Test func theHTMLPageRendersInHeadlessChromiumWithoutScriptErrors() async throws {
        let report = Self.eventfulReport()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-compare-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let page = directory.appendingPathComponent("report.html")
        let html = try report.htmlPage()
        #expect(!html.contains("http://") && !html.contains("https://"), "no network assets")
        try Data(html.utf8).write(to: page)

        let dom = try await Chromium.run(["--dump-dom", page.absoluteString])
        #expect(dom.output.contains(#"data-rendered="ok""#), "the page's script finished: \(dom.output.prefix(300))")
        #expect(dom.output.contains("<svg"), "the charts were drawn")
        #expect(!dom.errors.contains("Uncaught"), "console: \(dom.errors)")

        let shot = directory.appendingPathComponent("shot.png")
        _ = try await Chromium.run(["--screenshot=\(shot.path)", "--window-size=1200,2000", page.absoluteString])
        let png = try Data(contentsOf: shot)
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }
}

/// Headless Chromium (Debian package `chromium`), run with a time limit.
enum Chromium {
    static func run(_ arguments: [String], within limit: Duration = .seconds(90)) async throws -> ChildProcess.Finished {
        let path = "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SwitchyardError(.unsupported, "\(path) is missing; install the Debian package chromium (apt-get install chromium).")
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let finished = try await ChildProcess.run(
            path,
            ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(["HOME": home.path]) { _, new in new },
            within: limit
        )
        guard finished.termination.succeeded else {
            throw SwitchyardError(.internalError, "chromium ended with \(finished.termination): \(finished.errors.suffix(500))")
        }
        return finished
    }
}
