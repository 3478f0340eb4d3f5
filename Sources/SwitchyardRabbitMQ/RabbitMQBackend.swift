import Logging
import Switchyard
import Synchronization

/// RabbitMQ (AMQP 0-9-1) through rabbitmq-c.
///
/// A topic is a durable `topic` exchange and a consumer group a durable queue `<topic>.<group>`
/// bound to it (see <doc:RabbitMQTopology>). `send` returns once the broker confirms the message with
/// `basic.ack` on a confirm-mode channel; it is published `mandatory` and persistent, so a message
/// no queue takes fails with `SwitchyardError.Code.unroutable` and a confirmed one survives a
/// broker restart.
///
/// Every producer and consumer has a connection of its own, owned by a dedicated thread that does all
/// socket I/O and heartbeats and reconnects with backoff; no blocking call runs on Swift's
/// cooperative pool.
///
/// Capabilities follow ``Configuration/queueType``: quorum queues count delivery attempts exactly
/// (`x-delivery-count`), classic queues only flag redeliveries. Neither replays: a group's queue
/// holds only what arrived after it was declared, so starting at `.earliest` or a time is
/// `SwitchyardError.Code.unsupported`. Stream queues replay but have no competing consumers and no
/// requeue (see ``QueueType/stream``). Sending to a topic that was never ensured fails with
/// `SwitchyardError.Code.topicNotFound`.
public final class RabbitMQBackend: MessagingBackend {
    /// The type of the queues declared for consumer groups.
    public enum QueueType: String, Sendable, Hashable, CaseIterable {
        /// Single-node queues; a redelivery is flagged but not counted.
        case classic
        /// Replicated Raft queues that count deliveries; the default.
        case quorum
        /// One append-only stream queue per topic, named after the topic, declared with the topic
        /// and bound to its exchange, so it keeps every message sent from then on.
        ///
        /// Every consumer reads the whole stream from its own start position (`x-stream-offset`):
        /// `.earliest` is the oldest message the stream still holds, `.timestamp` the first one
        /// published at or after that time, and `.latest` and `.committed` the next one appended.
        /// AMQP 0-9-1 keeps no committed position for a stream, so `.committed` cannot resume where a
        /// group left off: a restarted consumer starts after the newest message, and what was sent
        /// while none ran is reached only by starting at `.earliest` or at a time. Acks are flow
        /// control only (they free prefetch credit); the stream keeps every message until its
        /// retention removes it. A group has one consumer at a time (a second one in this backend
        /// is `SwitchyardError.Code.unsupported`), and `nack(requeue: true)` below the last
        /// attempt is `SwitchyardError.Code.unsupported` because a stream cannot redeliver;
        /// dead-lettering works.
        case stream
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
        /// quorum queue before the channel closes (see `ConsumerRole`). Zero skips the wait.
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
    /// The groups with a consumer open on a stream, as `topic/group`; see ``QueueType/stream``.
    private let streamReaders = LockedValue(Set<String>())

    /// Creates a backend. It connects lazily: each producer, consumer and `ensureTopic` opens its own
    /// connection, so a broker that is down shows up as a retriable error there.
    ///
    /// - Throws: `SwitchyardError.Code.invalidConfiguration` for a window or size below 1.
    public init(configuration: Configuration, logger: Logger = Logger(label: "switchyard.rabbitmq", factory: { _ in SwiftLogNoOpLogHandler() })) throws(SwitchyardError) {
        guard configuration.confirmWindow >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "The confirm window is \(configuration.confirmWindow); it must be at least 1.")
        }
        guard configuration.maxMessageBytes >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "rabbitmq.maxMessageBytes is \(configuration.maxMessageBytes); it must be at least 1.")
        }
        self.configuration = configuration
        self.logger = logger
        switch configuration.queueType {
        case .quorum: capabilities = [.persistent, .orderedPerKey, .competingConsumers, .deadLetter, .deliveryAttemptCount]
        case .classic: capabilities = [.persistent, .orderedPerKey, .competingConsumers, .deadLetter]
        case .stream: capabilities = [.persistent, .replay, .orderedPerKey, .deadLetter]
        }
    }

    /// Declares the topic's durable exchange on a short-lived connection. With stream queues it also
    /// declares the topic's stream bound to it. With group queues, a dead-letter topic (`<topic>.dlq`)
    /// also gets the durable queue of a group named `kept`, so that dead letters are stored (and sends
    /// to it are not unroutable) even when no other group exists; consume them with group `kept`.
    /// Partitions and the replication factor do not apply and are ignored.
    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try validate(spec)
        try checkOpen()
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: { TopologyRole() }
        )
        let closed = SwitchyardError(.internalError, "The topology connection stopped while declaring topic '\(spec.name)'. Retry.")
        let queueType = configuration.queueType
        do {
            try await owner.perform(closed: closed) { role, session throws(AMQPFailure) in
                try role.declare(spec.name, queueType: queueType, on: session)
            }
        } catch {
            await owner.stop()
            throw error
        }
        await owner.stop()
    }

    /// Deletes the topic's exchange and stream, the queues of `groups` on it, and the same for its
    /// dead-letter topic, with the messages they hold. Objects already gone are skipped.
    public func removeTopic(_ topic: String, groups: [String]) async throws(SwitchyardError) {
        try checkOpen()
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: { TopologyRole() }
        )
        let closed = SwitchyardError(.internalError, "The topology connection stopped while removing topic '\(topic)'. Retry.")
        do {
            try await owner.perform(closed: closed) { role, session throws(AMQPFailure) in
                try role.remove(topic, groups: groups, on: session)
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
        let packRepeatedHeaders = configuration.queueType == .stream
        let owner = try await ConnectionOwner.start(
            endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
            makeRole: { PublisherRole(window: window, packRepeatedHeaders: packRepeatedHeaders) }
        )
        return RabbitMQProducerDriver(owner: owner, sendTimeout: options.sendTimeout)
    }

    public func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try checkOpen()
        let queueType = configuration.queueType
        if queueType != .stream {
            switch options.startPosition {
            case .earliest, .timestamp:
                throw SwitchyardError(
                    .unsupported,
                    "Starting at \(options.startPosition) needs replay, which RabbitMQ \(queueType) queues lack: a group's queue holds only what arrived after it was declared. Set rabbitmq.queueType to stream for replay, or start at .committed or .latest."
                )
            case .latest, .committed:
                break
            }
        }
        if let group = options.group, queueType != .stream {
            _ = try Topology.queueName(topic: topic, group: group)
        }
        let readerKey = queueType == .stream ? options.group.map { "\(topic)/\($0)" } : nil
        if let readerKey, let group = options.group {
            let added = streamReaders.withLock { $0.insert(readerKey).inserted }
            guard added else {
                throw SwitchyardError(
                    .unsupported,
                    "Group '\(group)' already has a consumer on topic '\(topic)'. On RabbitMQ stream queues every consumer reads the whole stream, so a group cannot share its messages between consumers (no competingConsumers). Close the other consumer first, or use quorum queues."
                )
            }
        }
        let readers = streamReaders
        let leave: @Sendable () -> Void = { if let readerKey { readers.withLock { _ = $0.remove(readerKey) } } }
        let inbox = DeliveryInbox(limit: options.prefetch)
        let closeGrace = configuration.consumerCloseGrace
        let owner: ConnectionOwner<ConsumerRole>
        do {
            owner = try await ConnectionOwner.start(
                endpoint: configuration.endpoint, settings: configuration.connection, logger: logger,
                makeRole: {
                    ConsumerRole(
                        topic: topic, group: options.group, queueType: queueType,
                        singleActiveConsumer: options.ordering == .perKey && queueType != .stream, prefetch: options.prefetch,
                        start: options.startPosition, closeGrace: closeGrace, inbox: inbox
                    )
                }
            )
        } catch {
            leave()
            throw error
        }
        return RabbitMQConsumerDriver(owner: owner, inbox: inbox, canRequeue: queueType != .stream, leave: leave)
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

extension RabbitMQBackend: TopicRemoving {}
