import Switchyard

/// A backend broke the contract: what the case expected, and what it saw instead.
public struct ContractViolation: Error, Sendable, CustomStringConvertible {
    /// The case that found it.
    public internal(set) var contractCase: ContractCase?
    /// What the contract promises.
    public let expected: String
    /// What the backend did: missing or duplicated ids, order breaks, an unexpected error.
    public let seen: String

    init(expected: String, seen: String) {
        self.expected = expected
        self.seen = seen
    }

    public var description: String {
        let prefix = contractCase.map { "Contract case \($0): " } ?? ""
        return "\(prefix)expected \(expected); seen \(seen)"
    }

    /// `error` as a violation of `contractCase`: violations keep their text, anything else becomes
    /// an unexpected error.
    static func wrapping(_ error: any Error, in contractCase: ContractCase) -> ContractViolation {
        var violation = (error as? ContractViolation)
            ?? ContractViolation(expected: "the case to run without unexpected errors", seen: describe(error))
        violation.contractCase = contractCase
        return violation
    }

    /// An error as a violation report shows it, with its type when it is not a ``SwitchyardError``.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SwitchyardError { return "\(error)" }
        return "\(type(of: error)): \(error)"
    }

    /// A list of ids short enough to read: all of them up to `limit`, then a count.
    static func list(_ ids: some Collection<String>, limit: Int = 10) -> String {
        let shown = ids.prefix(limit).joined(separator: ", ")
        return ids.count > limit ? "\(ids.count) ids, the first \(limit): \(shown)" : "[\(shown)]"
    }
}
