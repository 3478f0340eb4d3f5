import Synchronization

/// A flag that one side raises and a polling thread reads between polls.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Whether ``raise()`` has been called.
    var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Raises the flag; returns `true` only for the first call.
    @discardableResult
    func raise() -> Bool {
        !raised.exchange(true, ordering: .acquiringAndReleasing)
    }
}
