import Switchyard

/// Bounds a bench phase in time, so a backend that loses messages fails the bench instead of hanging it.
package enum BenchDeadline {
    /// Runs `body`, cancelling it and throwing ``SwitchyardError/Code/timeout`` after `seconds`.
    package static func run<Value: Sendable>(seconds: Double, phase: String, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let finished = try await group.next(), let value = finished else {
                throw SwitchyardError(.timeout, "The bench phase '\(phase)' did not finish within \(Int(seconds)) s. Check that the backend is up, or send fewer messages.")
            }
            return value
        }
    }
}
