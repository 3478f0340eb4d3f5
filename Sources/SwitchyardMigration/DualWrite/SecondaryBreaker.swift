import Switchyard

/// Whether copies may go straight to the secondary, and the direct copies sends are waiting for.
///
/// It opens when a direct copy fails or times out: every send still waiting for a direct copy stops
/// waiting and spools its copy, and later copies go straight to the spool. So at the start of an
/// outage sends wait for one ``DualWriteBackend/Configuration/secondarySendTimeout`` at most, not
/// one each. It closes once the replayer has delivered the spool, which shows the secondary
/// acknowledges again.
final class SecondaryBreaker: Sendable {
    private struct State {
        var isOpen = false
        var nextID = 0
        var waiting: [Int: DirectCopy] = [:]
    }

    private let state = LockedValue(State())

    /// Whether copies go straight to the spool.
    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// A direct copy to wait for, with the id to ``finish(_:)`` it by; `nil` while the breaker is open.
    func startCopy() -> (id: Int, copy: DirectCopy)? {
        state.withLock { state in
            guard !state.isOpen else { return nil }
            let id = state.nextID
            state.nextID += 1
            let copy = DirectCopy()
            state.waiting[id] = copy
            return (id, copy)
        }
    }

    /// Forgets a direct copy whose outcome its send has.
    func finish(_ id: Int) {
        state.withLock { _ = $0.waiting.removeValue(forKey: id) }
    }

    /// Opens the breaker and releases every send waiting for a direct copy.
    func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for copy in waiting { copy.decide(.abandoned) }
    }

    /// Closes the breaker: copies go straight to the secondary again while the spool is empty.
    func close() {
        state.withLock { $0.isOpen = false }
    }
}
