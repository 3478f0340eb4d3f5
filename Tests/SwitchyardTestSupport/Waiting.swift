/// Thrown when something a test waits for does not happen in time. Its description names what did not
/// happen, so the test's failure says what to look at.
public struct WaitTimedOut: Error, CustomStringConvertible {
    /// What the test waited for, phrased as the thing that should have happened.
    public let what: String
    /// How long the test waited.
    public let limit: Duration

    public var description: String { "Timed out after \(limit): \(what) did not happen." }
}

/// Waits until `probe` returns a value and returns it, asking again every `interval`.
///
/// Throws ``WaitTimedOut`` naming `what` when `limit` passes first; `what` is read only then, so it may
/// describe the state at the deadline. The probe runs at least once, and once more after the deadline,
/// so a condition that holds at the deadline still counts. Errors the probe throws end the wait at once.
public func eventually<Value>(
    _ what: @autoclosure () -> String,
    within limit: Duration = .seconds(15),
    pollingEvery interval: Duration = .milliseconds(5),
    _ probe: () async throws -> Value?
) async throws -> Value {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if let value = try await probe() { return value }
        try await Task.sleep(for: interval)
    }
    if let value = try await probe() { return value }
    throw WaitTimedOut(what: what(), limit: limit)
}

/// Waits until `condition` holds, checking it again every `interval`; throws ``WaitTimedOut`` naming
/// `what`, read at the deadline, when `limit` passes first.
public func eventually(
    _ what: @autoclosure () -> String,
    within limit: Duration = .seconds(15),
    pollingEvery interval: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let _: Void = try await eventually(what(), within: limit, pollingEvery: interval) { try await condition() ? () : nil }
}

/// Runs `operation` and returns its result, or cancels it and throws ``WaitTimedOut`` naming `what`
/// when it has not finished within `limit`.
///
/// Use it to await an event (a delivery, an element of an `AsyncSequence`, a process's exit) with a
/// deadline. The operation must end when cancelled; the wait for it to do so is not bounded.
public func within<Value: Sendable>(
    _ limit: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: RaceOutcome<Value>.self) { group in
        group.addTask { .finished(try await operation()) }
        group.addTask {
            try await Task.sleep(for: limit)
            return .timedOut
        }
        defer { group.cancelAll() }
        guard case .finished(let value) = try await group.next() else {
            throw WaitTimedOut(what: what, limit: limit)
        }
        return value
    }
}

/// Which of an operation and its deadline ended first.
private enum RaceOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case timedOut
}
