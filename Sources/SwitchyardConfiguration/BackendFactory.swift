import Logging
import Switchyard
import SwitchyardInMemory
import SwitchyardKafka
import SwitchyardRabbitMQ

/// Creates the backend that settings select.
public enum BackendFactory {
    /// The name of the process-wide in-memory broker that the `switchyard` commands share.
    public static let sharedInMemoryBrokerName = "default"

    /// The backend for `settings.backend`.
    ///
    /// For `inmemory` this is the process-wide embedded broker named ``sharedInMemoryBrokerName``, so
    /// every caller in one process sees the same topics and messages; the broker keeps the settings it
    /// was first created with. For `kafka` it is a client of the cluster at `kafka.bootstrapServers`,
    /// with every `kafka.properties.*` value passed to librdkafka unchanged. For `rabbitmq` it is a new
    /// ``RabbitMQBackend`` for `rabbitmq.url` and `rabbitmq.queueType`, which connects when a topic,
    /// producer or consumer is first made. Backends this build does not include fail with
    /// ``SwitchyardError/Code/unsupported``.
    public static func makeBackend(_ settings: SwitchyardSettings, logger: Logger) async throws(SwitchyardError) -> any MessagingBackend {
        switch settings.backend {
        case .inmemory:
            let configuration = InMemoryBackend.Configuration(
                defaultPartitions: settings.inmemory.partitions,
                retentionMessagesPerPartition: settings.inmemory.retentionMessagesPerPartition,
                maxMessageBytes: settings.inmemory.maxMessageBytes,
                autoCreateTopics: settings.inmemory.autoCreateTopics
            )
            let backend = InMemoryBackend.shared(named: sharedInMemoryBrokerName, configuration: configuration)
            if backend.configuration != configuration {
                logger.warning(
                    "The embedded in-memory broker is already running in this process with other settings; keeping them",
                    metadata: ["running": "\(backend.configuration)", "requested": "\(configuration)"]
                )
            }
            return backend
        case .kafka:
            guard !settings.kafka.bootstrapServers.isEmpty else {
                throw SwitchyardError(
                    .invalidConfiguration,
                    "kafka.bootstrapServers is empty. Set it, or SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS, to the cluster's host:port pairs."
                )
            }
            let configuration = KafkaConfiguration(
                bootstrapServers: settings.kafka.bootstrapServers.joined(separator: ","),
                properties: settings.kafka.properties
            )
            logger.debug("Using Kafka", metadata: ["configuration": "\(configuration)"])
            return KafkaBackend(configuration: configuration, logger: logger)
        case .rabbitmq:
            return try makeRabbitMQ(settings.rabbitmq, logger: logger)
        case .dual:
            throw SwitchyardError(
                .unsupported,
                "The \(settings.backend.rawValue) backend is not available in this build yet. Use --backend inmemory, or a build that includes it."
            )
        }
    }

    /// The RabbitMQ backend for these settings.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` for a bad `rabbitmq.url` (the message
    ///   hides the password), and ``SwitchyardError/Code/unsupported`` for the `stream` queue type.
    static func makeRabbitMQ(_ settings: SwitchyardSettings.RabbitMQ, logger: Logger) throws(SwitchyardError) -> RabbitMQBackend {
        let queueType: RabbitMQBackend.QueueType
        switch settings.queueType {
        case .classic:
            queueType = .classic
        case .quorum:
            queueType = .quorum
        case .stream:
            throw SwitchyardError(
                .unsupported,
                "rabbitmq.queueType stream is not supported yet: over AMQP 0-9-1 a stream gives replay but neither competing consumers nor a group's committed position. Use quorum (the default) or classic."
            )
        }
        let endpoint = try RabbitMQEndpoint(url: settings.url)
        return try RabbitMQBackend(configuration: RabbitMQBackend.Configuration(endpoint: endpoint, queueType: queueType), logger: logger)
    }
}
