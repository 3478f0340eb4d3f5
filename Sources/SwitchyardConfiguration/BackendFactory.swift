import Logging
import Switchyard
import SwitchyardInMemory
import SwitchyardRabbitMQ

/// Creates the backend that settings select.
public enum BackendFactory {
    /// The name of the process-wide in-memory broker that the `switchyard` commands share.
    public static let sharedInMemoryBrokerName = "default"

    /// The backend for `settings.backend`.
    ///
    /// For `inmemory` this is the process-wide embedded broker named ``sharedInMemoryBrokerName``, so
    /// every caller in one process sees the same topics and messages; the broker keeps the settings it
    /// was first created with. For `rabbitmq` it is a new ``RabbitMQBackend`` for `rabbitmq.url` and
    /// `rabbitmq.queueType`, which connects when a topic, producer or consumer is first made. Backends
    /// this build does not include fail with ``SwitchyardError/Code/unsupported``.
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
        case .rabbitmq:
            return try makeRabbitMQ(settings.rabbitmq, logger: logger)
        case .kafka, .dual:
            throw SwitchyardError(
                .unsupported,
                "The \(settings.backend.rawValue) backend is not available in this build yet. Use --backend inmemory, or a build that includes it."
            )
        }
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
