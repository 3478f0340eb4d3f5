import Logging
import Switchyard
import Synchronization

/// RabbitMQ (AMQP 0-9-1) through rabbitmq-c.
///
/// A topic is a durable `topic` exchange and a consumer group a durable queue `<topic>.<group>`
/// bound to it (see ``Topology``). `send` returns once the broker confirms the message with
/// `basic.ack` on a confirm-mode channel; it is published `mandatory` and persistent, so a message
/// no queue takes fails with ``SwitchyardError/Code/unroutable`` and a confirmed one survives a
/// broker restart.
///
/// Every producer and consumer has a connection of its own, owned by a dedicated thread that does all
/// socket I/O and heartbeats and reconnects with backoff; no blocking call runs on Swift's
/// cooperative pool.
///
/// Capabilities follow ``Configuration/queueType``: quorum queues count delivery attempts exactly
/// (`x-delivery-count`), classic queues only flag redeliveries. Neither replays: a group's queue
/// holds only what arrived after it was declared, so starting at `.earliest` or a time is
/// ``SwitchyardError/Code/unsupported``. Sending to a topic that was never ensured fails with
/// ``SwitchyardError/Code/topicNotFound``.
public final class RabbitMQBackend: MessagingBackend {
    /// The type of the queues declared for consumer groups.
    public enum QueueType: String, Sendable, Hashable, CaseIterable {
        /// Single-node queues; a redelivery is flagged but not counted.
        case classic
        /// Replicated Raft queues that count deliveries; the default.
        case quorum
    }

    /// How the backend connects and what it declares.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// The broker; its description hides the password.
        public var endpoint: RabbitMQEndpoint
        /// The type of group queues. Changing it for an existing group fails until its queue is deleted.
        public var queueType: QueueType
        /// The most publishes a producer keeps awaiting their confirm.
        public var confirmWindow: Int
        /// The largest message accepted, counting key, payload and headers.
        public var maxMessageBytes: Int
        /// How long connecting and logging in may take before failing.
        public var connectTimeout: Duration
        /// How long a declaration or other broker call may take.
        public var rpcTimeout: Duration
        /// The heartbeat interval requested from the broker; a connection silent for twice this long
        /// is dropped and re-established.
        public var heartbeat: Duration
        /// The first and the longest pause between reconnect attempts; pauses double in between.
        public var reconnectDelay: ClosedRange<Duration>
        /// How long a closing consumer waits after cancelling, so that acks it just sent reach a
        /// quorum queue before the channel closes (see ``ConsumerRole``). Zero skips the wait.
        public var consumerCloseGrace: Duration
        /// Whether `amqps` connections verify the broker's certificate and host name.
        public var verifyPeer: Bool
        /// A PEM file of certificate authorities for `amqps`, instead of the system's.
        public var certificateAuthorityFile: String?

        public init(
            endpoint: RabbitMQEndpoint,
            queueType: QueueType = .quorum,
            confirmWindow: Int = 1000,
            maxMessageBytes: Int = 16 * 1024 * 1024,
            connectTimeout: Duration = .seconds(5),
            rpcTimeout: Duration = .seconds(10),
            heartbeat: Duration = .seconds(10),
            reconnectDelay: ClosedRange<Duration> = .milliseconds(100)...(.seconds(5)),
            consumerCloseGrace: Duration = .milliseconds(200),
            verifyPeer: Bool = true,
            certificateAuthorityFile: String? = nil
        ) {
            self.endpoint = endpoint
            self.queueType = queueType
            self.confirmWindow = confirmWindow
            self.maxMessageBytes = maxMessageBytes
            self.connectTimeout = connectTimeout
            self.rpcTimeout = rpcTimeout
            self.heartbeat = heartbeat
            self.reconnectDelay = reconnectDelay
            self.consumerCloseGrace = consumerCloseGrace
            self.verifyPeer = verifyPeer
            self.certificateAuthorityFile = certificateAuthorityFile
        }

        public var description: String {
            "RabbitMQ(\(endpoint), queueType: \(queueType), confirmWindow: \(confirmWindow), maxMessageBytes: \(maxMessageBytes))"
        }

        var connection: ConnectionSettings {
            ConnectionSettings(
                connectTimeout: connectTimeout,
                rpcTimeout: rpcTimeout,
                heartbeat: heartbeat,
                reconnectDelay: reconnectDelay,
                verifyPeer: verifyPeer,
                certificateAuthorityFile: certificateAuthorityFile
            )
        }
    }

    public let configuration: Configuration
    public var name: String { "rabbitmq" }
    public let capabilities: BackendCapabilities
    public var limits: BackendLimits {
        BackendLimits(maxMessageBytes: configuration.maxMessageBytes, maxMessageBytesKey: "rabbitmq.maxMessageBytes")
    }

    private let logger: Logger
    private let shutDown = Atomic<Bool>(false)

    /// Creates a backend. It connects lazily: each producer, consumer and `ensureTopic` opens its own
    /// connection, so a broker that is down shows up as a retriable error there.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` for a window or size below 1.
    public init(configuration: Configuration, logger: Logger = Logger(label: "switchyard.rabbitmq", factory: { _ in SwiftLogNoOpLogHandler() })) throws(SwitchyardError) {
        guard configuration.confirmWindow >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "The confirm window is \(configuration.confirmWindow); it must be at least 1.")
        }
        guard configuration.maxMessageBytes >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "rabbitmq.maxMessageBytes is \(configuration.maxMessageBytes); it must be at least 1.")
        }
        self.configuration = configuration
        self.logger = logger
        var capabilities: BackendCapabilities = [.persistent, .orderedPerKey, .competingConsumers, .deadLetter]
        if configuration.queueType == .quorum {
            capabilities.insert(.deliveryAttemptCount)
        }
        self.capabilities = capabilities
    }

    /// Declares the topic's durable exchange on a short-lived connection. Partitions and the
    /// replication factor do not apply to exchanges and are ignored.
    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try validate(spec)
        try checkOpen()
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: { TopologyRole() }
        )
        let closed = SwitchyardError(.internalError, "The topology connection stopped while declaring topic '\(spec.name)'. Retry.")
        do {
            try await owner.perform(closed: closed) { role, session throws(AMQPFailure) in
                try role.declare(spec.name, on: session)
            }
        } catch {
            await owner.stop()
            throw error
        }
        await owner.stop()
    }

    public func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        try checkOpen()
        let window = configuration.confirmWindow
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: { PublisherRole(window: window) }
        )
        return RabbitMQProducerDriver(owner: owner, sendTimeout: options.sendTimeout)
    }

    public func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try checkOpen()
        switch options.startPosition {
        case .earliest, .timestamp:
            try require(.replay, for: "Starting at \(options.startPosition)")
        case .latest, .committed:
            break
        }
        if let group = options.group {
            _ = try Topology.queueName(topic: topic, group: group)
        }
        let inbox = DeliveryInbox()
        let queueType = configuration.queueType
        let closeGrace = configuration.consumerCloseGrace
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: {
                ConsumerRole(
                    topic: topic, group: options.group, queueType: queueType,
                    singleActiveConsumer: options.ordering == .perKey, prefetch: options.prefetch,
                    closeGrace: closeGrace, inbox: inbox
                )
            }
        )
        return RabbitMQConsumerDriver(owner: owner, inbox: inbox)
    }

    /// Marks the backend shut down; producers and consumers close their own connections. Calling it
    /// again is harmless.
    public func shutdown() async throws(SwitchyardError) {
        shutDown.store(true, ordering: .releasing)
    }

    private func checkOpen() throws(SwitchyardError) {
        if shutDown.load(ordering: .acquiring) {
            throw SwitchyardError(.invalidConfiguration, "This RabbitMQ backend was shut down. Create a new backend.")
        }
    }
}
