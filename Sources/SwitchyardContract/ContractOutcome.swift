import Switchyard

/// What one case showed about a backend.
public struct ContractOutcome: Sendable {
    /// Which branch of the case ran.
    public enum Result: Sendable, Hashable, CustomStringConvertible {
        /// The behaviour was proved.
        case proved
        /// The backend lacks the capability the behaviour needs, and the case proved that asking for
        /// it fails with a clear error.
        case provedUnsupported
        /// The case did not run, for this reason (a fault hook the harness does not provide).
        case skipped(reason: String)

        public var description: String {
            switch self {
            case .proved: "proved"
            case .provedUnsupported: "proved unsupported"
            case .skipped(let reason): "skipped: \(reason)"
            }
        }
    }

    /// The case that ran.
    public let contractCase: ContractCase
    /// The backend's `MessagingBackend.name`.
    public let backendName: String
    /// The capabilities the backend declared.
    public let declaredCapabilities: BackendCapabilities
    /// Which branch ran.
    public let result: Result
    /// The capability flags this run exercised, and which way.
    public let capabilityChecks: [CapabilityCheck]
    /// What is worth knowing but did not fail the case, such as duplicates counted or retries made.
    public let notes: [String]
    /// How long the case took.
    public let duration: Duration
}
