/// Whether a comparison run stayed within its ``ComparisonThresholds``: passed only when every gated
/// check passed.
public struct ComparisonVerdict: Sendable, Hashable, Codable {
    /// One figure measured against its limit.
    public struct Check: Sendable, Hashable, Codable {
        /// Whether ``limit`` is an upper or a lower bound.
        public enum Bound: String, Sendable, Hashable, Codable {
            case atMost
            case atLeast
        }

        /// The figure's name, such as `missing`.
        public var name: String
        public var actual: Double
        /// `nil` when the figure is reported but not gated.
        public var limit: Double?
        public var bound: Bound
        public var passed: Bool

        public init(name: String, actual: Double, limit: Double?, bound: Bound = .atMost) {
            self.name = name
            self.actual = actual
            self.limit = limit
            self.bound = bound
            if let limit {
                passed = bound == .atMost ? actual <= limit : actual >= limit
            } else {
                passed = true
            }
        }
    }

    public var passed: Bool
    /// Every check, gated or not, in a fixed order.
    public var checks: [Check]

    /// The gated checks that failed.
    public var failures: [Check] {
        checks.filter { !$0.passed }
    }

    /// Judges `figures` against `thresholds`.
    init(thresholds: ComparisonThresholds, figures: Figures) {
        var checks = [
            Check(name: "matched", actual: Double(figures.matched), limit: Double(thresholds.minMatched), bound: .atLeast),
            Check(name: "missing", actual: Double(figures.missing), limit: thresholds.maxMissing.map(Double.init)),
            Check(name: "mismatched", actual: Double(figures.mismatched), limit: thresholds.maxMismatched.map(Double.init)),
            Check(name: "late", actual: Double(figures.late), limit: thresholds.maxLate.map(Double.init)),
            Check(name: "orderInversions", actual: Double(figures.orderInversions), limit: thresholds.maxOrderInversions.map(Double.init)),
            Check(name: "unexpected", actual: Double(figures.unexpected), limit: thresholds.maxUnexpected.map(Double.init)),
            Check(name: "duplicates", actual: Double(figures.duplicates), limit: thresholds.maxDuplicates.map(Double.init)),
            Check(name: "p99SkewMilliseconds", actual: abs(figures.p99SkewMilliseconds ?? 0), limit: thresholds.maxP99SkewMilliseconds),
            Check(name: "windowOverflow", actual: Double(figures.forcedEvictions), limit: 0),
        ]
        if let dualWrite = figures.dualWrite {
            checks.append(Check(name: "spoolBacklog", actual: Double(dualWrite.spoolBacklog), limit: thresholds.maxSpoolBacklog.map(Double.init)))
            checks.append(
                Check(name: "secondaryWriteFailures", actual: Double(dualWrite.secondaryWriteFailures), limit: thresholds.maxSecondaryWriteFailures.map(Double.init))
            )
        }
        self.checks = checks
        self.passed = checks.allSatisfy(\.passed)
    }

    /// The figures a verdict is judged on.
    struct Figures {
        var matched: Int
        var missing: Int
        var mismatched: Int
        var late: Int
        var orderInversions: Int
        var unexpected: Int
        var duplicates: Int
        var p99SkewMilliseconds: Double?
        var forcedEvictions: Int
        var dualWrite: DualWriteFigures?
    }
}
