/// One of the two sides a shadow comparison reads.
///
/// The primary is the control: the broker the dual write must have acknowledged first, and the one
/// applications read from until the cutover. The secondary is the candidate being proven.
public enum ComparisonSide: String, Sendable, Hashable, Codable, CaseIterable {
    case primary
    case secondary

    /// The side across from this one.
    public var other: ComparisonSide {
        self == .primary ? .secondary : .primary
    }

    var index: Int {
        self == .primary ? 0 : 1
    }
}
