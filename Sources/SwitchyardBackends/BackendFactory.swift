import Logging
import Switchyard
import SwitchyardConfiguration
import SwitchyardInMemory
import SwitchyardKafka
import SwitchyardMigration
import SwitchyardRabbitMQ

/// Creates the backend that settings select.
///
/// The factory lives apart from the settings (`SwitchyardConfiguration`) because it links every
/// backend: an application that only reads its settings does not link librdkafka or rabbitmq-c.
public enum BackendFactory {
    /// The name of the process-wide in-memory broker that the `switchyard` commands share.
    public static let sharedInMemoryBrokerName = "default"

    /// The backend for `settings.backend`.
    ///
    /// For `inmemory` this is the process-wide embedded broker named ``sharedInMemoryBrokerName``, so
    /// every caller in one process sees the same topics and messages; the broker keeps the settings it
    /// was first created with. For `kafka` it is a client of the cluster at `kafka.bootstrapServers`,
    /// with every `kafka.properties.*` value passed to librdkafka unchanged. For `rabbitmq` it is a new
    /// `RabbitMQBackend` for `rabbitmq.url` and `rabbitmq.queueType`, which connects when a topic,
    /// producer or consumer is first made. For `dual` it is a `DualWriteBackend` over the
    /// `dual.primary` and `dual.secondary` backends, each built as above from its own settings, reading
    /// from `dual.readFrom` and spooling to `dual.spool`. A `kafka` backend given here is used, for
    /// `backend: kafka` and for a Kafka side of `backend: dual`, instead of one built from `kafka.*`.
    public static func makeBackend(
        _ settings: SwitchyardSettings, kafka: KafkaBackend? = nil, logger: Logger
    ) async throws(SwitchyardError) -> any MessagingBackend {
        guard let single = SwitchyardSettings.Dual.Side(rawValue: settings.backend.rawValue) else {
            return try await makeDual(settings, kafka: kafka, logger: logger)
        }
        return try makeSingle(single, settings, kafka: kafka, logger: logger)
    }

    /// The dual-write backend for `dual.*`.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` naming `dual.primary` and `dual.secondary`
    ///   when they are the same backend.
    static func makeDual(_ settings: SwitchyardSettings, kafka: KafkaBackend? = nil, logger: Logger) async throws(SwitchyardError) -> DualWriteBackend {
        let dual = settings.dual
        guard dual.primary != dual.secondary else {
            throw SwitchyardError(
                .invalidConfiguration,
                "dual.primary and dual.secondary are both '\(dual.primary.rawValue)'; set them to two different backends."
            )
        }
        let primary = try makeSingle(dual.primary, settings, kafka: kafka, logger: logger)
        let secondary = try makeSingle(dual.secondary, settings, kafka: kafka, logger: logger)
        let readFrom: DualWriteBackend.Side = dual.readFrom == .primary ? .primary : .secondary
        return try await DualWriteBackend(
            primary: primary,
            secondary: secondary,
            configuration: DualWriteBackend.Configuration(spoolDirectory: dual.spool, readFrom: readFrom),
            logger: logger
        )
    }

    /// One broker's backend (alone, or one side of a dual write), from that backend's own settings.
    private static func makeSingle(
        _ side: SwitchyardSettings.Dual.Side, _ settings: SwitchyardSettings, kafka: KafkaBackend?, logger: Logger
    ) throws(SwitchyardError) -> any MessagingBackend {
        switch side {
        case .inmemory:
            return makeInMemory(settings.inmemory, logger: logger)
        case .rabbitmq:
            return try makeRabbitMQ(settings.rabbitmq, logger: logger)
        case .kafka:
            if let kafka { return kafka }
            return try makeKafka(settings.kafka, logger: logger)
        }
    }

    /// The process-wide in-memory broker named ``sharedInMemoryBrokerName``.
    private static func makeInMemory(_ settings: SwitchyardSettings.InMemory, logger: Logger) -> InMemoryBackend {
        let configuration = InMemoryBackend.Configuration(
            defaultPartitions: settings.partitions,
            retentionMessagesPerPartition: settings.retentionMessagesPerPartition,
            maxMessageBytes: settings.maxMessageBytes,
            autoCreateTopics: settings.autoCreateTopics
        )
        let backend = InMemoryBackend.shared(named: sharedInMemoryBrokerName, configuration: configuration)
        if backend.configuration != configuration {
            logger.warning(
                "The embedded in-memory broker is already running in this process with other settings; keeping them",
                metadata: ["running": "\(backend.configuration)", "requested": "\(configuration)"]
            )
        }
        return backend
    }

    /// The Kafka backend for these settings.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` when `kafka.bootstrapServers` is empty.
    private static func makeKafka(_ settings: SwitchyardSettings.Kafka, logger: Logger) throws(SwitchyardError) -> KafkaBackend {
        guard !settings.bootstrapServers.isEmpty else {
            throw SwitchyardError(
                .invalidConfiguration,
                "kafka.bootstrapServers is empty. Set it, or SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS, to the cluster's host:port pairs."
            )
        }
        let configuration = KafkaConfiguration(
            bootstrapServers: settings.bootstrapServers.joined(separator: ","),
            properties: settings.properties
        )
        logger.debug("Using Kafka", metadata: ["configuration": "\(configuration)"])
        return KafkaBackend(configuration: configuration, logger: logger)
    }

    /// The RabbitMQ backend for these settings.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` for a bad `rabbitmq.url` (the message
    ///   hides the password).
    static func makeRabbitMQ(_ settings: SwitchyardSettings.RabbitMQ, logger: Logger) throws(SwitchyardError) -> RabbitMQBackend {
        let queueType: RabbitMQBackend.QueueType
        switch settings.queueType {
        case .classic:
            queueType = .classic
        case .quorum:
            queueType = .quorum
        case .stream:
            queueType = .stream
        }
        let endpoint = try RabbitMQEndpoint(url: settings.url)
        return try RabbitMQBackend(configuration: RabbitMQBackend.Configuration(endpoint: endpoint, queueType: queueType), logger: logger)
    }
}
