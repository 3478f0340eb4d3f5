import Switchyard

/// One capability flag exercised one way: a declared capability shown to work, or a missing one
/// shown to fail with a clear error (or, for `BackendCapabilities.deliveryAttemptCount`, shown to
/// keep its weaker promise).
public struct CapabilityCheck: Sendable, Hashable, CustomStringConvertible {
    /// A single capability flag.
    public let capability: BackendCapabilities
    /// Whether the backend declared it, and so which way it was checked.
    public let declared: Bool

    public init(capability: BackendCapabilities, declared: Bool) {
        self.capability = capability
        self.declared = declared
    }

    public var description: String {
        "\(capability) \(declared ? "declared and proved" : "absent and its absence proved")"
    }
}
