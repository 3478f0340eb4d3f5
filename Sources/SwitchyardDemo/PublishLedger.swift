import Switchyard

/// The ids of the messages whose send the broker acknowledged: what every consumer group must receive.
public final class PublishLedger: Sendable {
    private let ids = LockedValue(Set<String>())

    public init() {}

    func record<S: Sequence<String>>(_ sent: S) {
        ids.withLock { $0.formUnion(sent) }
    }

    /// How many sends were acknowledged.
    public var count: Int {
        ids.withLock { $0.count }
    }

    /// The acknowledged ids.
    public func snapshot() -> Set<String> {
        ids.withLock { $0 }
    }
}
