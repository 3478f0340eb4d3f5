import CRdKafka
import Logging
import Switchyard

/// librdkafka's in-process mock Kafka cluster: real Kafka protocol on local ports, with no JVM.
///
/// Any Kafka client, in this process or another, can connect through ``bootstrapServers``. It keeps its
/// data in memory (at most 5 MiB or 100k message sets per partition; older data is dropped silently),
/// has no TLS, SASL or CreateTopics API, and its fault hooks work only in this process. Meant for tests
/// and development; call ``shutdown()`` when done. A cluster dropped without it is shut down in the
/// background.
///
/// Every call into the cluster waits for the cluster's own thread, so each runs on a thread of its own,
/// never on Swift's cooperative pool. After ``shutdown()``, topic creation and leader moves fail with
/// `internalError`, and the other calls do nothing.
public final class KafkaMockCluster: @unchecked Sendable {
    // @unchecked Sendable is safe: every stored property is set once in init; `cluster` is a weak
    // reference, which Swift loads and clears atomically; the cluster itself is thread-safe.

    /// The cluster, owned by its log thread, which destroys it once `stopping` is raised. Weak, so that
    /// a call never keeps it alive past that, and a call made after shutdown finds it gone.
    private weak var cluster: RDKafkaMockCluster?
    private let logThread: DedicatedThread
    private let stopping = StopFlag()

    /// Client properties for consumers of a mock cluster: a 6 s session, with heartbeats every 500 ms.
    ///
    /// The mock does not rebalance a group when a member leaves, so a new member of the same group
    /// waits until the old member's session expires; with librdkafka's default `session.timeout.ms`
    /// that is 45 s, with these 6 s. A real cluster rebalances at once and needs none of this.
    public static let clientProperties: [String: String] = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]

    /// The cluster's `host:port` list for `bootstrap.servers`.
    public let bootstrapServers: String
    /// How many brokers it runs; their ids are 1 through this number.
    public let brokerCount: Int

    /// Starts a cluster of `brokers` brokers on free local ports.
    public static func start(brokers: Int = 3, logger: Logger = Logger(label: "switchyard.kafka.mock")) async throws(SwitchyardError) -> KafkaMockCluster {
        guard brokers >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "A mock cluster needs at least 1 broker; \(brokers) were asked for.")
        }
        let started = try await DedicatedThread.run(name: "kafka-mock-start") {
            Result { () throws(SwitchyardError) in try KafkaMockCluster(brokers: brokers, logger: logger) }
        }
        return try started.get()
    }

    private init(brokers: Int, logger: Logger) throws(SwitchyardError) {
        let cluster = try RDKafkaMockCluster(brokers: brokers)
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = cluster.bootstrapServers
        self.logThread = try MockClusterLogLoop.start(cluster: cluster, stopping: stopping, logger: logger)
    }

    deinit {
        stopping.raise()
    }

    /// Creates a topic, or leaves an existing one as it is. The replication factor defaults to the
    /// broker count, at most 3.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int? = nil) async throws(SwitchyardError) {
        let replicas = replicationFactor ?? min(3, brokerCount)
        let result = try await onOwnThread { cluster in cluster.createTopic(name, partitions: partitions, replicationFactor: replicas) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaErrorMapping.error(result, "Creating topic '\(name)' on the mock cluster")
        }
    }

    /// Takes broker `id` (1 through ``brokerCount``) or, with `nil`, every broker down: connections are
    /// closed and new ones refused. Leadership does not move.
    public func setBrokerDown(_ id: Int? = nil) async {
        _ = try? await onOwnThread { cluster in cluster.setBrokerDown(Int32(id ?? -1)) }
    }

    /// Lets broker `id`, or every broker with `nil`, accept connections again.
    public func setBrokerUp(_ id: Int? = nil) async {
        _ = try? await onOwnThread { cluster in cluster.setBrokerUp(Int32(id ?? -1)) }
    }

    /// Moves the leadership of one partition to broker `id`.
    public func setPartitionLeader(topic: String, partition: Int, broker id: Int) async throws(SwitchyardError) {
        let result = try await onOwnThread { cluster in cluster.setPartitionLeader(topic: topic, partition: partition, broker: id) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaErrorMapping.error(result, "Moving the leader of \(topic)/\(partition) to broker \(id)")
        }
    }

    /// A Kafka request type whose next requests can be made to fail.
    public enum Request: Int16, Sendable {
        case produce = 0
        case fetch = 1
        case listOffsets = 2
        case metadata = 3
        case offsetCommit = 8
        case offsetFetch = 9
        case findCoordinator = 10
        case joinGroup = 11
        case heartbeat = 12
        case syncGroup = 14
        case initProducerID = 22
    }

    /// A broker error to inject.
    public enum InjectedError: Sendable {
        case notLeaderForPartition
        case leaderNotAvailable
        case requestTimedOut
        case notEnoughReplicas
        case networkException
        case notCoordinator

        var code: rd_kafka_resp_err_t {
            switch self {
            case .notLeaderForPartition: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
            case .leaderNotAvailable: RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE
            case .requestTimedOut: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT
            case .notEnoughReplicas: RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS
            case .networkException: RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION
            case .notCoordinator: RD_KAFKA_RESP_ERR_NOT_COORDINATOR
            }
        }
    }

    /// Makes the next requests of type `request`, to any broker, fail with `errors`, one error each, in order.
    public func failNextRequests(_ request: Request, with errors: [InjectedError]) async {
        let codes = errors.map(\.code)
        _ = try? await onOwnThread { cluster in cluster.failNextRequests(request.rawValue, with: codes) }
    }

    /// Runs `body` with the cluster on a thread of its own. Fails with `internalError` once the cluster
    /// is shut down, or when no thread can be started.
    private func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable (RDKafkaMockCluster) -> Result) async throws(SwitchyardError) -> Result {
        let outcome = try await DedicatedThread.run(name: "kafka-mock-call") { [self] () -> Result? in
            guard let cluster else { return nil }
            return body(cluster)
        }
        guard let outcome else {
            throw SwitchyardError(.internalError, "The mock cluster is shut down. Start a new one with KafkaMockCluster.start().")
        }
        return outcome
    }

    /// Stops the cluster and releases it. Clients still connected lose their connections. Calling it
    /// again is harmless.
    public func shutdown() async {
        stopping.raise()
        await logThread.join()
    }
}
