/// How one phase of a rehearsal went: its comparisons and the one-line verdict.
package struct RehearsalResult: Sendable {
    /// The injected outage of the new broker and how the spool coped.
    package struct Fault: Sendable {
        package var broker: String
        package var downSeconds: Double
        /// How long after the broker came back the spool was empty; `nil` when it never was.
        package var drainedSeconds: Double?
    }

    package var phase: RehearsalPhase
    package var title: String
    /// Sends the phase's writer got acknowledged.
    package var published: Int
    /// How many of them the application processed, by the end of the phase's settling.
    package var consumed: Int
    /// Published vs consumed.
    package var delivery: ComparisonReport
    /// Primary broker vs secondary broker, in a dual-write phase.
    package var sides: ComparisonReport?
    /// The deepest the dual-write spool was, in a dual-write phase.
    package var spoolPeak: Int?
    package var fault: Fault?
    /// Why the phase failed; empty when it passed.
    package var problems: [String]

    package var passed: Bool { problems.isEmpty }

    /// Messages missing, on the consumer or on either broker.
    package var lost: Int {
        delivery.primary.missing + delivery.secondary.missing + (sides.map { $0.primary.missing + $0.secondary.missing } ?? 0)
    }

    package var mismatched: Int {
        delivery.mismatches.total + (sides?.mismatches.total ?? 0)
    }

    package var duplicates: Int {
        delivery.secondary.duplicates + (sides.map { $0.primary.duplicates + $0.secondary.duplicates } ?? 0)
    }

    /// E.g. `phase 2 dual-write+compare: published=3610 consumed=3610 lost=0 mismatched=0 duplicates=0 spool peak=431 (kafka down 4.8 s, spool drained 1.2 s after) PASS`.
    package var line: String {
        var text = "phase \(phase.rawValue) \(title): published=\(published) consumed=\(consumed) lost=\(lost) mismatched=\(mismatched) duplicates=\(duplicates)"
        if let spoolPeak { text += " spool peak=\(spoolPeak)" }
        if let fault {
            let drained = fault.drainedSeconds.map { "spool drained \(Self.seconds($0)) s after" } ?? "spool never drained"
            text += " (\(fault.broker) down \(Self.seconds(fault.downSeconds)) s, \(drained))"
        }
        text += passed ? " PASS" : " FAIL: " + problems.joined(separator: "; ")
        return text
    }

    /// The checks of a comparison's verdict that failed, named for the result line.
    static func failures(of report: ComparisonReport, comparison: String) -> [String] {
        report.verdict.failures.map { check in
            let limit = check.limit.map { Self.number($0) } ?? "-"
            return "\(comparison) \(check.name) \(Self.number(check.actual)) (\(check.bound == .atLeast ? "at least" : "at most") \(limit))"
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Seconds to one decimal, e.g. `4.8`.
    package static func seconds(_ value: Double) -> String {
        String((value * 10).rounded() / 10)
    }
}
