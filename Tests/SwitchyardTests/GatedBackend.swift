import Logging
import Switchyard
import SwitchyardInMemory

/// An in-memory backend whose sends wait at a gate until the test opens it, so tests can hold sends in
/// flight and watch what close and shutdown do with them. Everything else is the real in-memory backend.
final class GatedBackend: MessagingBackend {
    let inner = InMemoryBackend()
    let gate = Gate()
    let name: String

    init(name: String) {
        self.name = name
    }

    var capabilities: BackendCapabilities { inner.capabilities }
    var limits: BackendLimits { inner.limits }

    func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try await inner.ensureTopic(spec)
    }

    func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        GatedProducerDriver(inner: try await inner.makeProducerDriver(options: options, logger: logger), gate: gate)
    }

    func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try await inner.makeConsumerDriver(topic: topic, options: options, logger: logger)
    }

    func shutdown() async throws(SwitchyardError) {
        try await inner.shutdown()
    }
}

/// Holds callers until opened; counts how many are waiting.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedValue(State())

    var waiting: Int { state.withLock { $0.waiters.count } }

    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

struct GatedProducerDriver: ProducerDriver {
    let inner: any ProducerDriver
    let gate: Gate

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        await gate.pass()
        return try await inner.send(message, to: topic)
    }

    func flush() async throws(SwitchyardError) {
        try await inner.flush()
    }

    func close() async throws(SwitchyardError) {
        try await inner.close()
    }
}
