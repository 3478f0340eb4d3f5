/// What a shadow comparison treats as equal, and what it expects to see.
public struct ComparisonRules: Sendable, Hashable, Codable {
    /// Header names left out when the two copies of a message are compared, because they differ by
    /// design (a per-broker trace id, a hop timestamp). A name ending in `*` matches every header name
    /// that starts with what comes before it, so `x-trace-*` covers `x-trace-id`. Names are matched
    /// exactly, case included.
    public var ignoredHeaders: [String]

    /// Whether payload bytes are compared. Off, only sizes and headers count.
    public var comparesPayload: Bool

    /// Whether the keys are compared.
    public var comparesKey: Bool

    /// A header that every message written through the dual write carries. When set, a message seen on
    /// one side only and lacking it is *unexpected* (written to that broker directly, not through the
    /// dual write) rather than missing on the other side. `nil` when the writer sets no such marker.
    public var requiredHeader: String?

    public init(
        ignoredHeaders: [String] = [],
        comparesPayload: Bool = true,
        comparesKey: Bool = true,
        requiredHeader: String? = nil
    ) {
        self.ignoredHeaders = ignoredHeaders
        self.comparesPayload = comparesPayload
        self.comparesKey = comparesKey
        self.requiredHeader = requiredHeader
    }
}

/// ``ComparisonRules/ignoredHeaders`` compiled for the per-message path.
struct HeaderIgnoreRules: Sendable {
    private let exact: Set<String>
    private let prefixes: [String]

    init(_ patterns: [String]) {
        exact = Set(patterns.filter { !$0.hasSuffix("*") })
        prefixes = patterns.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
    }

    var isEmpty: Bool { exact.isEmpty && prefixes.isEmpty }

    func ignores(_ name: String) -> Bool {
        if exact.contains(name) { return true }
        return prefixes.contains { name.hasPrefix($0) }
    }
}
