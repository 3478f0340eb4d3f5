import Logging
import ServiceLifecycle

/// One application's connection to a backend, and a `Service` for ServiceLifecycle.
///
/// It creates producers and consumers and remembers them. On graceful shutdown, or on ``shutdown()``,
/// it closes the consumers first (their loops end; unsettled deliveries go back to their groups), then
/// closes the producers, which waits for every send in flight, then shuts the backend down.
///
/// ```swift
/// let client = SwitchyardClient(backend: backend, logger: logger)
/// let group = ServiceGroup(services: [client, pricePublisher], logger: logger)
/// try await group.run()
/// ```
public final class SwitchyardClient: Service, Sendable {
    private struct Members {
        var producers: [Producer] = []
        var consumers: [Consumer] = []
        var shutDown = false
    }

    /// The backend this client runs on.
    public let backend: any MessagingBackend
    private let logger: Logger
    private let members = LockedValue(Members())

    public init(backend: any MessagingBackend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    /// Creates the topic if it is missing.
    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try TopicName.validate(spec.name)
        try await backend.ensureTopic(spec)
    }

    /// Creates a producer that this client drains on shutdown.
    public func makeProducer(options: ProducerOptions = ProducerOptions()) async throws(SwitchyardError) -> Producer {
        try checkRunning(.producerClosed)
        let producer = try await backend.makeProducer(options: options, logger: logger)
        if !register({ $0.producers.append(producer) }) {
            try await producer.close()
            try checkRunning(.producerClosed)
        }
        return producer
    }

    /// Creates a consumer that this client closes on shutdown.
    public func makeConsumer(topic: String, options: ConsumerOptions = ConsumerOptions()) async throws(SwitchyardError) -> Consumer {
        try checkRunning(.consumerClosed)
        let consumer = try await backend.makeConsumer(topic: topic, options: options, logger: logger)
        if !register({ $0.consumers.append(consumer) }) {
            try await consumer.close()
            try checkRunning(.consumerClosed)
        }
        return consumer
    }

    /// Waits for graceful shutdown, then shuts down. Returns only when everything is closed.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes consumers, drains and closes producers, and shuts the backend down. Calling it again is
    /// harmless.
    public func shutdown() async throws(SwitchyardError) {
        let taken = members.withLock { members -> Members? in
            if members.shutDown { return nil }
            defer { members = Members(shutDown: true) }
            return members
        }
        guard let taken else { return }
        logger.info("Shutting down", metadata: ["backend": "\(backend.name)", "producers": "\(taken.producers.count)", "consumers": "\(taken.consumers.count)"])
        var firstError: SwitchyardError?
        for consumer in taken.consumers {
            do { try await consumer.close() } catch { firstError = firstError ?? error }
        }
        for producer in taken.producers {
            do { try await producer.close() } catch { firstError = firstError ?? error }
        }
        do { try await backend.shutdown() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    /// Adds a member unless the client has shut down; says whether it did.
    private func register(_ add: (inout Members) -> Void) -> Bool {
        members.withLock { members in
            if members.shutDown { return false }
            add(&members)
            return true
        }
    }

    private func checkRunning(_ code: SwitchyardError.Code) throws(SwitchyardError) {
        if members.withLock({ $0.shutDown }) {
            throw SwitchyardError(code, "The client has shut down. Create a new client.")
        }
    }
}
