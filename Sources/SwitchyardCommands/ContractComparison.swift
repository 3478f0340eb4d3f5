import Foundation
import Switchyard
import SwitchyardContract

/// How two backends differ, from two runs of the contract suite: in the capabilities they declare and
/// in the verdict of each case, each difference with what it means for an application that moves
/// from A to B.
struct ContractComparison: Codable, Sendable {
    /// One difference, and what it means when moving from A to B.
    struct Difference: Codable, Sendable, Equatable {
        /// A capability name, or a case as `NN name`.
        var subject: String
        var a: String
        var b: String
        var meaning: String
    }

    var a: ContractReport
    var b: ContractReport
    var capabilityDifferences: [Difference]
    var caseDifferences: [Difference]

    init(a: ContractReport, b: ContractReport) {
        self.a = a
        self.b = b
        capabilityDifferences = BackendCapabilities.named.compactMap { _, name in
            let inA = a.capabilities.contains(name)
            let inB = b.capabilities.contains(name)
            guard inA != inB else { return nil }
            return Difference(subject: name, a: inA ? "yes" : "no", b: inB ? "yes" : "no", meaning: Self.meaning(of: name, gained: inB))
        }
        let bCases = Dictionary(b.cases.map { ($0.name, $0) }) { first, _ in first }
        caseDifferences = a.cases.compactMap { inA in
            guard let inB = bCases[inA.name], inA.verdict != inB.verdict else { return nil }
            let contractCase = ContractCase.all.first { $0.name == inA.name }
            return Difference(
                subject: "\(inA.number < 10 ? "0" : "")\(inA.number) \(inA.name)",
                a: inA.verdict.label,
                b: inB.verdict.label,
                meaning: Self.meaning(of: contractCase, a: inA.verdict, b: inB.verdict)
            )
        }
    }

    /// What losing (or gaining) a capability means for an application moving to B.
    static func meaning(of capability: String, gained: Bool) -> String {
        switch (capability, gained) {
        case ("persistent", false): "B loses what it holds when its broker restarts: keep anything that must survive elsewhere"
        case ("persistent", true): "B keeps messages across a broker restart"
        case ("replay", false): "B cannot start a consumer at the earliest message or at a time: such starts fail with unsupported, so a replay needs a store of its own"
        case ("replay", true): "B can start a consumer at the earliest retained message or at a time, so a consumer can be rebuilt from the log"
        case ("orderedPerKey", false): "B does not keep the order of messages with the same key: consumers must not rely on it"
        case ("orderedPerKey", true): "B delivers the messages of a key in the order they were sent"
        case ("competingConsumers", false): "consumers of one group on B do not share its messages: scale consumers out some other way"
        case ("competingConsumers", true): "consumers of one group on B share its messages between them"
        case ("deadLetter", false): "B does not dead-letter a message that keeps failing: the application must park it, or it is redelivered without end"
        case ("deadLetter", true): "B moves a message that failed maxDeliveryAttempts times to the dead-letter topic"
        case ("deliveryAttemptCount", false): "B does not count delivery attempts exactly: a redelivery is only known to be at least the second, so retry limits need the application's own count"
        case ("deliveryAttemptCount", true): "B counts every delivery attempt exactly"
        case ("autoCreateTopics", false): "B does not create a topic on first send: create topics before sending (ensureTopic), or sends fail with topicNotFound"
        case ("autoCreateTopics", true): "B creates a topic on first send"
        default: gained ? "B has \(capability)" : "B lacks \(capability)"
        }
    }

    /// What a case that ends differently on A and on B means for an application moving to B.
    static func meaning(of contractCase: ContractCase?, a: ContractReport.Verdict, b: ContractReport.Verdict) -> String {
        let promise = contractCase?.statement ?? "this case's promise"
        switch (a, b) {
        case (_, .failed): return "B broke the contract here, which A kept: \(promise)"
        case (.failed, _): return "A broke the contract here; B keeps it: \(promise)"
        case (.passed, .notApplicable): return "B lacks what this needs (\(contractCase?.capabilities.description ?? "a capability")), which A has: \(promise)"
        case (.notApplicable, .passed): return "B offers what A lacks: \(promise)"
        default: return "the two runs are not comparable here: one of them did not run the case"
        }
    }

    /// The differences as text, after both runs' lines.
    var text: String {
        var lines = ["", "Moving from A (\(a.label), \(a.backend)) to B (\(b.label), \(b.backend)):"]
        if capabilityDifferences.isEmpty && caseDifferences.isEmpty {
            lines.append("  no differences in capabilities or in the cases run")
        }
        for difference in capabilityDifferences {
            lines.append("  \(difference.subject): A \(difference.a), B \(difference.b). \(difference.meaning)")
        }
        for difference in caseDifferences {
            lines.append("  case \(difference.subject): A \(difference.a), B \(difference.b). \(difference.meaning)")
        }
        if let performance = performanceText { lines.append("  \(performance)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Both performance runs side by side, when both ran.
    var performanceText: String? {
        guard let inA = a.performance, let inB = b.performance else { return nil }
        let rate = { (value: Double) in Int(value.rounded()).formatted(.number.grouping(.automatic)) }
        let p99 = { (value: Double?) in value.map { "\($0.formatted(.number.precision(.fractionLength(1)))) ms" } ?? "not measured" }
        return "performance: send A \(rate(inA.sendPerSecond)), B \(rate(inB.sendPerSecond)) msg/s; receive A \(rate(inA.receivePerSecond)), B \(rate(inB.receivePerSecond)) msg/s; p99 at 10,000 msg/s A \(p99(inA.p99Ms)), B \(p99(inB.p99Ms))"
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// One self-contained HTML page: the differences, then every case side by side.
    func htmlPage() -> String {
        func escaped(_ text: String) -> String {
            text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
        }
        func rows(_ differences: [Difference]) -> String {
            differences.map { "<tr><td>\(escaped($0.subject))</td><td>\(escaped($0.a))</td><td>\(escaped($0.b))</td><td>\(escaped($0.meaning))</td></tr>" }
                .joined(separator: "\n")
        }
        let bCases = Dictionary(b.cases.map { ($0.name, $0) }) { first, _ in first }
        let cases = a.cases.map { inA in
            let inB = bCases[inA.name]
            let differs = inB.map { $0.verdict != inA.verdict } ?? true
            return "<tr\(differs ? " class=\"differs\"" : "")><td>\(inA.number) \(escaped(inA.name))</td>"
                + "<td>\(escaped(inA.verdict.label))</td><td>\(escaped(inA.reason))</td>"
                + "<td>\(escaped(inB?.verdict.label ?? "-"))</td><td>\(escaped(inB?.reason ?? ""))</td></tr>"
        }.joined(separator: "\n")
        let title = escaped("Switchyard contract: \(a.label) (\(a.backend)) to \(b.label) (\(b.backend))")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(title)</title>
            <style>
            body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; }
            table { border-collapse: collapse; margin-bottom: 24px; }
            th, td { border: 1px solid #dde2ea; padding: 4px 10px; text-align: left; vertical-align: top; }
            th { background: #eef1f6; }
            tr.differs td { background: #fff4e0; }
            </style>
            </head>
            <body>
            <h1>\(title)</h1>
            <h2>Capabilities that differ</h2>
            <table><tr><th>capability</th><th>A</th><th>B</th><th>moving from A to B</th></tr>
            \(rows(capabilityDifferences))
            </table>
            <h2>Cases that end differently</h2>
            <table><tr><th>case</th><th>A</th><th>B</th><th>moving from A to B</th></tr>
            \(rows(caseDifferences))
            </table>
            <h2>Performance</h2>
            <p>\(escaped(performanceText ?? "not measured on both sides"))</p>
            <h2>Every case</h2>
            <table><tr><th>case</th><th>A</th><th>why</th><th>B</th><th>why</th></tr>
            \(cases)
            </table>
            </body>
            </html>

            """
    }
}

extension ContractReport.Verdict {
    /// The verdict as the case lines say it.
    var label: String {
        switch self {
        case .passed: "pass"
        case .notApplicable: "n/a"
        case .notRun: "not run"
        case .failed: "FAIL"
        }
    }
}
