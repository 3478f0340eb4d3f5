import Switchyard

/// Whether a set of contract outcomes covers every capability flag, as *Capabilities* in the Switchyard
/// documentation requires: each declared capability proved, each missing one shown to fail clearly.
public enum ContractCoverage {
    /// The checks a backend declaring `capabilities` must pass, one per flag in
    /// `BackendCapabilities.named`.
    public static func required(for capabilities: BackendCapabilities) -> Set<CapabilityCheck> {
        Set(BackendCapabilities.named.map { CapabilityCheck(capability: $0.0, declared: capabilities.contains($0.0)) })
    }

    /// The required checks that none of `outcomes` made; empty when coverage is complete.
    public static func missing(in outcomes: [ContractOutcome], for capabilities: BackendCapabilities) -> [CapabilityCheck] {
        let made = Set(outcomes.flatMap(\.capabilityChecks))
        return required(for: capabilities).subtracting(made).sorted { $0.capability.rawValue < $1.capability.rawValue }
    }

    /// The capability flags that no case in `cases` exercises; empty for ``ContractCase/all``.
    public static func unexercised(by cases: [ContractCase] = ContractCase.all) -> [BackendCapabilities] {
        let exercised = cases.reduce(into: BackendCapabilities()) { $0.formUnion($1.capabilities) }
        return BackendCapabilities.named.map(\.0).filter { !exercised.contains($0) }
    }
}
