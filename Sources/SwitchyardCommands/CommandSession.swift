import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration
import SwitchyardKafka

/// What a command runs with: its effective settings, a logger writing to standard error at
/// `log.level`, and a client on the configured backend.
struct CommandSession {
    let settings: SwitchyardSettings
    let logger: Logger
    let client: SwitchyardClient
    /// The in-process mock cluster the backend runs on, when the command started one.
    let mockCluster: KafkaMockCluster?

    /// Loads the configuration, connects to the backend, runs `body`, then shuts the client down (its
    /// producers drained, its consumers closed), whether or not `body` throws.
    ///
    /// With `mockKafkaBrokers`, `backend: kafka` (or `backend: dual` with a Kafka side) with
    /// `kafka.bootstrapServers` left at its default runs on a ``KafkaMockCluster`` of that many brokers
    /// started in this process, shut down after the client; without it, that is the configuration error
    /// ``BackendFactory`` gives.
    static func run<Result>(
        _ global: GlobalOptions,
        io: CommandIO,
        mockKafkaBrokers: Int? = nil,
        _ body: (CommandSession) async throws -> Result
    ) async throws -> Result {
        let resolved = try global.resolve(environment: io.environment)
        let settings = resolved.settings
        let logger = SinkLogHandler.logger(level: settings.log.level, sink: io.errors)
        logger.debug("Effective configuration", metadata: ["settings": "\(settings)"])
        var mockCluster: KafkaMockCluster?
        let serversConfigured = resolved.entries.contains { $0.key == "kafka.bootstrapServers" && $0.source != .defaultValue }
        let usesKafka = settings.backend == .kafka || (settings.backend == .dual && [settings.dual.primary, settings.dual.secondary].contains(.kafka))
        if let mockKafkaBrokers, usesKafka, !serversConfigured {
            let cluster = try await KafkaMockCluster.start(brokers: mockKafkaBrokers, logger: logger)
            mockCluster = cluster
            logger.info("No kafka.bootstrapServers: running on an in-process mock cluster", metadata: ["bootstrapServers": "\(cluster.bootstrapServers)"])
        }
        let backend: any MessagingBackend
        do {
            backend = try await makeBackend(settings, mockCluster: mockCluster, logger: logger)
        } catch {
            await mockCluster?.shutdown()
            throw error
        }
        let session = CommandSession(
            settings: settings, logger: logger, client: SwitchyardClient(backend: backend, logger: logger), mockCluster: mockCluster
        )
        let result: Result
        do {
            result = try await body(session)
        } catch {
            do {
                try await session.client.shutdown()
            } catch let shutdownError {
                logger.warning("Shutting down after a failure failed too", metadata: ["error": "\(shutdownError)"])
            }
            await mockCluster?.shutdown()
            throw error
        }
        do {
            try await session.client.shutdown()
        } catch {
            await mockCluster?.shutdown()
            throw error
        }
        await mockCluster?.shutdown()
        return result
    }

    /// Another backend with the same settings, on the same mock cluster if the session runs on one;
    /// the caller shuts it down.
    func makeBackend() async throws(SwitchyardError) -> any MessagingBackend {
        try await Self.makeBackend(settings, mockCluster: mockCluster, logger: logger)
    }

    private static func makeBackend(
        _ settings: SwitchyardSettings,
        mockCluster: KafkaMockCluster?,
        logger: Logger
    ) async throws(SwitchyardError) -> any MessagingBackend {
        guard let mockCluster else { return try await BackendFactory.makeBackend(settings, logger: logger) }
        let kafka = KafkaBackend(
            configuration: KafkaConfiguration(
                bootstrapServers: mockCluster.bootstrapServers,
                properties: KafkaMockCluster.clientProperties.merging(settings.kafka.properties) { _, configured in configured }
            ),
            mockCluster: mockCluster,
            logger: logger
        )
        return try await BackendFactory.makeBackend(settings, kafka: kafka, logger: logger)
    }

    /// Creates `topic` when the backend does not create topics on demand, so `produce` and `consume` work
    /// on a fresh broker as kcat does. An existing topic is left as it is.
    func ensureTopicIfNeeded(_ topic: String) async throws(SwitchyardError) {
        guard !client.backend.capabilities.contains(.autoCreateTopics) else { return }
        try await client.ensureTopic(TopicSpec(name: topic))
    }
}
