import Logging
import Switchyard

/// The one producer driver on the secondary that direct copies and the replayer share, and the topics
/// the secondary still has to create.
///
/// While it has no driver (the secondary was down when one was asked for), every copy goes to the spool
/// and the replayer keeps trying to connect.
final class SecondaryLink: Sendable {
    let backend: any MessagingBackend
    private let options: ProducerOptions
    private let logger: Logger
    private let current = LockedValue<(any ProducerDriver)?>(nil)
    private let pendingTopics = LockedValue<[String: TopicSpec]>([:])

    init(backend: any MessagingBackend, options: ProducerOptions, logger: Logger) {
        self.backend = backend
        self.options = options
        self.logger = logger
    }

    /// The connected driver, or `nil` while there is none.
    var driver: (any ProducerDriver)? { current.withLock { $0 } }

    /// The connected driver, connecting first when there is none.
    func connect() async throws(SwitchyardError) -> any ProducerDriver {
        if let driver { return driver }
        let made = try await backend.makeProducerDriver(options: options, logger: logger)
        let (kept, extra) = current.withLock { current -> (any ProducerDriver, (any ProducerDriver)?) in
            if let existing = current { return (existing, made) }
            current = made
            return (made, nil)
        }
        if let extra { try? await extra.close() }
        return kept
    }

    /// Forgets the driver after it reported itself closed, so the next ``connect()`` makes a new one.
    func discard() {
        current.withLock { $0 = nil }
    }

    /// Remembers a topic the secondary could not create yet; ``ensurePendingTopics()`` retries it.
    func remember(_ spec: TopicSpec) {
        pendingTopics.withLock { $0[spec.name] = spec }
    }

    /// Creates the remembered topics on the secondary; each one created is forgotten.
    func ensurePendingTopics() async throws(SwitchyardError) {
        let specs = pendingTopics.withLock { Array($0.values) }
        for spec in specs {
            try await backend.ensureTopic(spec)
            pendingTopics.withLock { _ = $0.removeValue(forKey: spec.name) }
        }
    }

    /// Closes the driver, if there is one.
    func close() async throws(SwitchyardError) {
        let driver = current.withLock { current in
            defer { current = nil }
            return current
        }
        try await driver?.close()
    }
}
