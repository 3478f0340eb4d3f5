import Logging
import Switchyard
import Synchronization

/// The embedded backend: a broker that lives in this process's memory. It is the default backend and
/// needs no server.
///
/// It has real semantics, not a toy's: partitioned append-only logs with keys hashed to partitions as
/// Kafka does, consumer groups with committed positions and competing consumers, acks, requeues with
/// attempt counts, dead-lettering, replay, bounded retention and bounded in-flight deliveries per
/// consumer. What it cannot do is persist: its messages live only as long as the process, so it lacks
/// `BackendCapabilities.persistent`.
///
/// Retention keeps at most ``Configuration/retentionMessagesPerPartition`` messages per partition; a
/// group that falls further behind skips the dropped messages, as a Kafka consumer does.
public final class InMemoryBackend: MessagingBackend {
    /// How the embedded broker behaves.
    public struct Configuration: Sendable, Hashable {
        /// The partition count of topics created on demand.
        public var defaultPartitions: Int
        /// The most messages kept per partition; older ones are dropped.
        public var retentionMessagesPerPartition: Int
        /// The largest message accepted, counting key, payload and headers.
        public var maxMessageBytes: Int
        /// Whether sending to or consuming from a missing topic creates it.
        public var autoCreateTopics: Bool

        public init(
            defaultPartitions: Int = 4,
            retentionMessagesPerPartition: Int = 1_000_000,
            maxMessageBytes: Int = 8 * 1024 * 1024,
            autoCreateTopics: Bool = true
        ) {
            self.defaultPartitions = defaultPartitions
            self.retentionMessagesPerPartition = retentionMessagesPerPartition
            self.maxMessageBytes = maxMessageBytes
            self.autoCreateTopics = autoCreateTopics
        }
    }

    /// The most deliveries a group may have between its committed position and its fetch cursor in one
    /// partition. A message left unacknowledged holds the group back at most this far.
    static let windowLimit = 65_536

    public let configuration: Configuration
    public var name: String { "inmemory" }
    public let capabilities: BackendCapabilities
    public var limits: BackendLimits {
        BackendLimits(maxMessageBytes: configuration.maxMessageBytes, maxMessageBytesKey: "inmemory.maxMessageBytes")
    }

    private let topics = LockedValue<[String: TopicLog]>([:])
    private let available = Atomic<Bool>(true)
    private let nextID = Atomic<UInt64>(1)

    /// Creates an empty broker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        var capabilities: BackendCapabilities = [.replay, .orderedPerKey, .competingConsumers, .deadLetter, .deliveryAttemptCount]
        if configuration.autoCreateTopics {
            capabilities.insert(.autoCreateTopics)
        }
        self.capabilities = capabilities
    }

    private static let registry = LockedValue<[String: InMemoryBackend]>([:])

    /// The process-wide broker called `name`, created with `configuration` on first use. Every caller in
    /// the process that asks for the same name shares its topics and groups.
    public static func shared(named name: String = "default", configuration: Configuration = Configuration()) -> InMemoryBackend {
        registry.withLock { registry in
            if let existing = registry[name] { return existing }
            let backend = InMemoryBackend(configuration: configuration)
            registry[name] = backend
            return backend
        }
    }

    // MARK: Fault hooks

    /// Takes the broker down, as a crash would: sends and settlements fail with
    /// `SwitchyardError.Code.brokerUnavailable`, receives wait, and every delivery in flight goes back to
    /// its group to be delivered again. Messages already stored are kept.
    public func stopBroker() {
        available.store(false, ordering: .sequentiallyConsistent)
        for topic in allTopics() { topic.reclaimAll() }
    }

    /// Brings the broker back after ``stopBroker()``.
    public func startBroker() {
        available.store(true, ordering: .sequentiallyConsistent)
        for topic in allTopics() { topic.wakeAll() }
    }

    var isAvailable: Bool { available.load(ordering: .sequentiallyConsistent) }

    // MARK: MessagingBackend

    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try validate(spec)
        try checkAvailable()
        _ = topicLog(spec.name, partitions: spec.partitions)
    }

    public func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        InMemoryProducerDriver(backend: self)
    }

    public func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        try checkAvailable()
        let log = try existingOrAutoCreated(topic)
        let member = makeID()
        let group = log.join(member: member, name: options.group, groupID: makeID(), start: options.startPosition, prefetch: options.prefetch)
        return InMemoryConsumerDriver(backend: self, topic: log, member: member, group: group)
    }

    /// The in-memory broker lives as long as the process; shutting a client down releases nothing.
    public func shutdown() async throws(SwitchyardError) {}

    // MARK: Internals

    /// A number unique within this broker, for members and waits.
    func makeID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// How many receives on `topic` wait for something to deliver. A receive waits only once it has
    /// found nothing it may take, so tests wait on this to know a consumer is idle, instead of sleeping.
    func waitingReceives(on topic: String) -> Int {
        topics.withLock { $0[topic] }?.waitingReceives ?? 0
    }

    func checkAvailable() throws(SwitchyardError) {
        guard isAvailable else {
            throw SwitchyardError(.brokerUnavailable, "The in-memory broker is stopped. Retry once it is started again.")
        }
    }

    func existingOrAutoCreated(_ topic: String) throws(SwitchyardError) -> TopicLog {
        if let log = topics.withLock({ $0[topic] }) { return log }
        guard configuration.autoCreateTopics else {
            throw SwitchyardError(
                .topicNotFound,
                "Topic '\(topic)' does not exist and this in-memory broker does not create topics on demand. Create it with ensureTopic, or set inmemory.autoCreateTopics."
            )
        }
        return topicLog(topic, partitions: configuration.defaultPartitions)
    }

    private func topicLog(_ name: String, partitions: Int) -> TopicLog {
        topics.withLock { topics in
            if let existing = topics[name] { return existing }
            let log = TopicLog(
                name: name,
                partitions: partitions,
                retention: configuration.retentionMessagesPerPartition,
                windowLimit: Self.windowLimit
            )
            topics[name] = log
            return log
        }
    }

    private func allTopics() -> [TopicLog] {
        topics.withLock { Array($0.values) }
    }
}
