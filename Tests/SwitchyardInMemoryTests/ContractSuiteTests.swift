import Logging
import Switchyard
@testable import SwitchyardContract
import SwitchyardInMemory
import Testing

/// The public contract suite, run against the in-memory backend with a fresh broker per case.
@Suite(.serialized)
struct ContractSuiteTests {
    /// A harness on a broker of its own: every client is the same instance, "down" is a stopped
    /// broker, and a restart is a stop, a pause and a start.
    private static func harness(
        _ configuration: InMemoryBackend.Configuration = .init(),
        reduced: Bool = false
    ) -> ContractHarness {
        let broker = InMemoryBackend(configuration: configuration)
        let backend: any MessagingBackend = reduced ? ReducedBackend(base: broker) : broker
        return ContractHarness(
            namePrefix: "inmemory",
            caseTimeLimit: .seconds(20),
            waitTimeLimit: .seconds(5),
            quietPeriod: .milliseconds(150),
            makeBackend: { backend },
            makeUnreachableBackend: {
                let down = InMemoryBackend(configuration: configuration)
                down.stopBroker()
                return down
            },
            restartBroker: {
                broker.stopBroker()
                // Not a wait: the outage itself, a moment in which clients find the broker down.
                try await Task.sleep(for: .milliseconds(50))
                broker.startBroker()
            }
        )
    }

    @Test(arguments: ContractCase.all)
    func inMemoryBackendKeepsTheContract(_ contractCase: ContractCase) async throws {
        let outcome = try await ContractSuite(harness: Self.harness()).run(contractCase)
        #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result)")
    }

    @Test(arguments: ContractCase.all)
    func aBackendWithFewerCapabilitiesKeepsTheContract(_ contractCase: ContractCase) async throws {
        var configuration = InMemoryBackend.Configuration()
        configuration.autoCreateTopics = false
        let outcome = try await ContractSuite(harness: Self.harness(configuration, reduced: true)).run(contractCase)
        #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result)")
        // Without persistent or deliveryAttemptCount, cases 21 and 6 still prove their main behaviour.
        if !contractCase.capabilities.subtracting([.persistent, .deliveryAttemptCount]).isEmpty {
            #expect(outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result)")
        }
    }

    @Test func aValueReturnedWhenCancelledAtTheTimeLimitIsKept() async throws {
        let ending = try await TimeLimit.race(.milliseconds(20), grace: .seconds(5)) {
            // Returns as soon as it is cancelled, like a receive that took a message at that moment. Not a
            // wait: it stands for work that runs until it is cancelled.
            try? await Task.sleep(for: .seconds(5))
            return 42
        }
        guard case .cancelled(.success(let value)) = ending else {
            Issue.record("expected the value returned on cancellation, got \(ending)")
            return
        }
        #expect(value == 42)
    }

    @Test func workThatIgnoresCancellationIsAbandonedAfterTheGracePeriod() async throws {
        let started = ContinuousClock.now
        let ending = try await TimeLimit.race(.milliseconds(20), grace: .milliseconds(50)) {
            // Not a wait: detached, it stands for work that ignores cancellation.
            await Task.detached { try? await Task.sleep(for: .seconds(2)) }.value
        }
        guard case .abandoned = ending else {
            Issue.record("expected the work to be abandoned, got \(ending)")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func everyCapabilityFlagIsExercisedByACase() {
        #expect(ContractCoverage.unexercised().isEmpty)
    }

    @Test func capabilityCasesProveEveryDeclaredFlagAndTheAbsenceOfEveryOther() async throws {
        let capabilities = InMemoryBackend().capabilities
        var outcomes: [ContractOutcome] = []
        for contractCase in ContractCase.capabilityCases {
            outcomes.append(try await ContractSuite(harness: Self.harness()).run(contractCase))
        }
        #expect(ContractCoverage.missing(in: outcomes, for: capabilities).isEmpty)
        #expect(!capabilities.contains(.persistent))
        #expect(outcomes.flatMap(\.capabilityChecks).contains(CapabilityCheck(capability: .persistent, declared: false)))
    }

    @Test func capabilityCasesProveTheAbsenceOfEveryFlagABackendLacks() async throws {
        var configuration = InMemoryBackend.Configuration()
        configuration.autoCreateTopics = false
        var outcomes: [ContractOutcome] = []
        for contractCase in ContractCase.capabilityCases {
            outcomes.append(try await ContractSuite(harness: Self.harness(configuration, reduced: true)).run(contractCase))
        }
        let capabilities = try #require(outcomes.first?.declaredCapabilities)
        #expect(capabilities.isEmpty)
        #expect(ContractCoverage.missing(in: outcomes, for: capabilities).isEmpty)
    }
}

/// The in-memory broker behind a backend that declares none of the optional capabilities, so the
/// suite's unsupported branches run too. It refuses a second consumer in a group, as a backend
/// without competing consumers must.
private final class ReducedBackend: MessagingBackend {
    private let base: InMemoryBackend
    private let occupiedGroups = LockedValue<Set<String>>([])

    init(base: InMemoryBackend) {
        self.base = base
    }

    var name: String { "inmemory-reduced" }
    var capabilities: BackendCapabilities { base.capabilities.intersection(.persistent) }
    var limits: BackendLimits { base.limits }

    func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try await base.ensureTopic(spec)
    }

    func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        try await base.makeProducerDriver(options: options, logger: logger)
    }

    func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        guard let group = options.group else {
            return try await base.makeConsumerDriver(topic: topic, options: options, logger: logger)
        }
        let slot = "\(topic)/\(group)"
        guard occupiedGroups.withLock({ $0.insert(slot).inserted }) else {
            throw SwitchyardError(.unsupported, "Group \(group) already has a consumer on \(topic); this backend lacks competingConsumers.")
        }
        let release: @Sendable () -> Void = { [self] in _ = occupiedGroups.withLock { $0.remove(slot) } }
        do {
            return SoleConsumerDriver(base: try await base.makeConsumerDriver(topic: topic, options: options, logger: logger), onClose: release)
        } catch {
            release()
            throw error
        }
    }

    func shutdown() async throws(SwitchyardError) {
        try await base.shutdown()
    }
}

/// A consumer driver that frees its group's slot when it closes.
private struct SoleConsumerDriver: ConsumerDriver {
    let base: any ConsumerDriver
    let onClose: @Sendable () -> Void

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        try await base.receive(maxMessages: maxMessages)
    }

    func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await base.ack(token)
    }

    func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await base.requeue(token)
    }

    func release(_ tokens: [DeliveryToken]) {
        base.release(tokens)
    }

    func close() async throws(SwitchyardError) {
        defer { onClose() }
        try await base.close()
    }
}
