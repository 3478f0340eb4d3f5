import Logging
import Switchyard
import SwitchyardInMemory

/// A secondary that hangs: after ``hang()``, its producer sends neither succeed nor fail until
/// ``release()``; after ``fail()`` they fail at once; otherwise it is the in-memory broker it wraps.
/// It counts single-message sends (the dual writer's direct copies of `Producer.send(_:to:)`) apart
/// from batch sends (the replayer's).
final class DualWriteHangingSecondary: MessagingBackend {
    private enum Mode {
        case pass, hang, fail
    }

    private struct State {
        var mode = Mode.pass
        var held: [CheckedContinuation<Mode, Never>] = []
        var singleSends = 0
        var batchSends = 0
    }

    let inner = InMemoryBackend()
    private let state = LockedValue(State())

    var name: String { "hanging" }
    var capabilities: BackendCapabilities { inner.capabilities }
    var limits: BackendLimits { inner.limits }

    /// Makes every send from now on hang until ``release()``.
    func hang() {
        state.withLock { $0.mode = .hang }
    }

    /// Makes every send from now on fail at once; sends already hanging keep hanging.
    func fail() {
        state.withLock { $0.mode = .fail }
    }

    /// Lets the hung sends through, and later ones pass.
    func release() {
        let held = state.withLock { state in
            state.mode = .pass
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume(returning: .pass) }
    }

    /// Single-message sends so far, hung, failed or passed.
    var singleSends: Int { state.withLock { $0.singleSends } }
    /// Batch sends so far, hung, failed or passed.
    var batchSends: Int { state.withLock { $0.batchSends } }

    /// Returns at once when passing, throws when failing, and otherwise returns once ``release()`` is called.
    fileprivate func enter(single: Bool) async throws(SwitchyardError) {
        let mode = await withCheckedContinuation { (continuation: CheckedContinuation<Mode, Never>) in
            let mode = state.withLock { state -> Mode in
                if single { state.singleSends += 1 } else { state.batchSends += 1 }
                if state.mode == .hang { state.held.append(continuation) }
                return state.mode
            }
            if mode != .hang { continuation.resume(returning: mode) }
        }
        if mode == .fail {
            throw SwitchyardError(.brokerUnavailable, "The test's secondary is set to fail.", isRetriable: true)
        }
    }

    func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try await inner.ensureTopic(spec)
    }

    func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        Driver(inner: try await inner.makeProducerDriver(options: options, logger: logger), gate: self)
    }

    func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try await inner.makeConsumerDriver(topic: topic, options: options, logger: logger)
    }

    func shutdown() async throws(SwitchyardError) {
        release()
        try await inner.shutdown()
    }

    private struct Driver: ProducerDriver {
        let inner: any ProducerDriver
        let gate: DualWriteHangingSecondary

        func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
            try await gate.enter(single: true)
            return try await inner.send(message, to: topic)
        }

        func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
            try await gate.enter(single: false)
            return try await inner.send(messages, to: topic)
        }

        func flush() async throws(SwitchyardError) {
            try await inner.flush()
        }

        func close() async throws(SwitchyardError) {
            try await inner.close()
        }
    }
}
