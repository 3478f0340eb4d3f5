extension ComparisonReport {
    /// The report as a few dozen lines of plain text for a terminal: the run, a table of both sides,
    /// the mismatches, a few examples of each finding, and the verdict with its failed checks last.
    public func textSummary(examples: Int = 5) -> String {
        var lines: [String] = []
        let seconds = Double(run.endedAt - run.startedAt) / 1_000_000
        lines.append(
            "compare '\(run.topic)': primary \(run.primaryBackend) vs secondary \(run.secondaryBackend), "
                + "\(Self.format(seconds, digits: 1)) s, grace \(Self.format(run.graceMilliseconds, digits: 0)) ms"
        )
        func row(_ label: String, _ value: (SideFigures) -> String) -> String {
            label.rightPadded(to: 20)
                + value(primary).leftPadded(to: 12) + value(secondary).leftPadded(to: 12)
        }
        lines.append(row("") { $0.side.rawValue })
        lines.append(row("delivered") { String($0.delivered) })
        lines.append(row("duplicates") { String($0.duplicates) })
        lines.append(row("missing") { String($0.missing) })
        lines.append(row("late") { String($0.late) })
        lines.append(row("unexpected") { String($0.unexpected) })
        lines.append(row("order inversions") { String($0.orderInversions) })
        lines.append(row("largest displacement") { String($0.largestDisplacement) })
        lines.append(row("latency p50 ms") { Self.format($0.latency.p50Milliseconds, digits: 3) })
        lines.append(row("latency p95 ms") { Self.format($0.latency.p95Milliseconds, digits: 3) })
        lines.append(row("latency p99 ms") { Self.format($0.latency.p99Milliseconds, digits: 3) })
        lines.append(
            "matched \(matched), mismatched \(mismatches.total) (key \(mismatches.key), payload \(mismatches.payload), headers \(mismatches.headers))"
                + (run.rules.ignoredHeaders.isEmpty ? "" : ", ignoring headers \(run.rules.ignoredHeaders.joined(separator: ", "))")
        )
        lines.append(
            "skew (secondary - primary): p50 \(Self.signed(skew.p50Milliseconds)) ms, p95 \(Self.signed(skew.p95Milliseconds)) ms, "
                + "p99 \(Self.signed(skew.p99Milliseconds)) ms; arrival gap p50 \(Self.format(skew.arrivalGap.p50Milliseconds, digits: 3)) ms, "
                + "p99 \(Self.format(skew.arrivalGap.p99Milliseconds, digits: 3)) ms"
        )
        if let dualWrite {
            lines.append(
                "dual write: \(dualWrite.secondaryWriteFailures) secondary write failures, \(dualWrite.spooled) spooled, "
                    + "\(dualWrite.replayed) replayed, \(dualWrite.spoolBacklog) waiting"
            )
        }
        if memory.forcedEvictions > 0 {
            lines.append("window overflow: \(memory.forcedEvictions) messages given up on early; raise the pending limit or shorten the grace")
        }
        for side in [primary, secondary] {
            lines += Self.examples("missing on \(side.side.rawValue)", side.samples.missing.map(\.id), total: side.missing, limit: examples)
            lines += Self.examples("late on \(side.side.rawValue)", side.samples.late.map { "\($0.id) (+\(Self.format($0.afterOtherSideMilliseconds, digits: 1)) ms)" }, total: side.late, limit: examples)
            lines += Self.examples("unexpected on \(side.side.rawValue)", side.samples.unexpected.map(\.id), total: side.unexpected, limit: examples)
            lines += Self.examples("duplicated on \(side.side.rawValue)", side.samples.duplicates.map(\.id), total: side.duplicates, limit: examples)
            lines += Self.examples(
                "out of order on \(side.side.rawValue)",
                side.samples.inversions.map { "\($0.id) (key \($0.key), displaced by \($0.displacementIsLowerBound ? "at least " : "")\($0.displacement))" },
                total: side.orderInversions,
                limit: examples
            )
        }
        lines += Self.examples("mismatched", mismatches.samples.map(Self.describe), total: mismatches.total, limit: examples)
        let failed = verdict.failures.map { check in
            "\(check.name) \(Self.format(check.actual, digits: check.actual.rounded() == check.actual ? 0 : 3)) "
                + "\(check.bound == .atMost ? ">" : "<") \(Self.format(check.limit ?? 0, digits: (check.limit ?? 0).rounded() == check.limit ? 0 : 3))"
        }
        lines.append("verdict: " + (verdict.passed ? "PASS" : "FAIL (\(failed.joined(separator: ", ")))"))
        return lines.joined(separator: "\n") + "\n"
    }

    private static func examples(_ label: String, _ items: [String], total: Int, limit: Int) -> [String] {
        guard total > 0 else { return [] }
        let shown = items.prefix(limit)
        let more = total - shown.count
        return ["\(label) (\(total)): " + shown.joined(separator: ", ") + (more > 0 ? ", and \(more) more" : "")]
    }

    private static func describe(_ sample: MismatchSample) -> String {
        var parts: [String] = []
        if sample.kinds.contains("key") {
            parts.append("key \(sample.primaryKey ?? "none") vs \(sample.secondaryKey ?? "none")")
        }
        if sample.kinds.contains("payload") {
            parts.append("payload \(sample.primaryPayloadBytes) vs \(sample.secondaryPayloadBytes) bytes")
        }
        for header in sample.headers {
            parts.append("header \(header.name) [\(header.primary.joined(separator: ", "))] vs [\(header.secondary.joined(separator: ", "))]")
        }
        return "\(sample.id) (\(parts.joined(separator: "; ")))"
    }

    static func format(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var text = String(whole)
        if digits > 0 {
            let fraction = String(Int(scaled - Double(whole) * scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    private static func signed(_ value: Double?) -> String {
        guard let value else { return "n/a" }
        return (value >= 0 ? "+" : "") + format(value, digits: 3)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension String {
    fileprivate func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
