import CRdKafka
import Logging
import Switchyard

/// librdkafka's in-process mock Kafka cluster: real Kafka protocol on local ports, with no JVM.
///
/// Any Kafka client, in this process or another, can connect through ``bootstrapServers``. It keeps its
/// data in memory (at most 5 MiB or 100k message sets per partition; older data is dropped silently),
/// has no TLS, SASL or CreateTopics API, and its fault hooks work only in this process. Meant for tests
/// and development; call ``shutdown()`` when done.
///
/// Every call into the cluster waits for the cluster's own thread, so each runs on a thread of its own,
/// never on Swift's cooperative pool.
public final class KafkaMockCluster: @unchecked Sendable {
    // Safe to share: `cluster` and `handle` are set once in init and only read afterwards; librdkafka's
    // mock cluster API is thread-safe (every call is an operation sent to the cluster's own thread), and
    // the handles are destroyed once, by the first `shutdown()`, after the log thread has stopped.
    private let handle: OpaquePointer
    private let cluster: OpaquePointer
    private let queue: OpaquePointer
    private let logThread: DedicatedThread
    private let stopping: StopFlag
    private let logger: Logger

    /// The cluster's `host:port` list for `bootstrap.servers`.
    public let bootstrapServers: String
    /// How many brokers it runs; their ids are 1 through this number.
    public let brokerCount: Int

    /// Starts a cluster of `brokers` brokers on free local ports.
    public static func start(brokers: Int = 3, logger: Logger = Logger(label: "switchyard.kafka.mock")) async throws(SwitchyardError) -> KafkaMockCluster {
        let started = await DedicatedThread.run(name: "switchyard-kafka-mock-start") {
            Result { () throws(SwitchyardError) in try KafkaMockCluster(brokers: brokers, logger: logger) }
        }
        return try started.get()
    }

    private init(brokers: Int, logger: Logger) throws(SwitchyardError) {
        guard brokers >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "A mock cluster needs at least 1 broker; \(brokers) were asked for.")
        }
        let conf = try RDKafkaConf.make([("log.queue", "true")])
        rd_kafka_conf_set_events(conf, RDKafkaEvents.common)
        let handle = try RDKafkaConf.makeHandle(RD_KAFKA_PRODUCER, conf: conf, what: "mock cluster's owner handle")
        guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(brokers)) else {
            rd_kafka_destroy(handle)
            throw SwitchyardError(.internalError, "librdkafka could not start a mock cluster of \(brokers) brokers; see the log.")
        }
        let queue = rd_kafka_queue_get_main(handle)!
        rd_kafka_set_log_queue(handle, queue)
        self.handle = handle
        self.cluster = cluster
        self.queue = queue
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.stopping = StopFlag()
        self.logThread = DedicatedThread(name: "switchyard-kafka-mock")
        self.logger = logger
        logThread.start { [self] in forwardLogs() }
    }

    private func forwardLogs() {
        while !stopping.isRaised {
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_LOG {
                RDKafkaEvents.log(event, to: logger)
            }
            rd_kafka_event_destroy(event)
        }
    }

    /// Creates a topic, or leaves an existing one as it is. The replication factor defaults to the
    /// broker count, at most 3.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int? = nil) async throws(SwitchyardError) {
        let replicas = replicationFactor ?? min(3, brokerCount)
        let result = await onOwnThread { [self] in rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicas)) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaErrorMapping.error(result, "Creating topic '\(name)' on the mock cluster")
        }
    }

    /// Takes broker `id` (1 through ``brokerCount``) or, with `nil`, every broker down: connections are
    /// closed and new ones refused. Leadership does not move.
    public func setBrokerDown(_ id: Int? = nil) async {
        _ = await onOwnThread { [self] in rd_kafka_mock_broker_set_down(cluster, Int32(id ?? -1)) }
    }

    /// Lets broker `id`, or every broker with `nil`, accept connections again.
    public func setBrokerUp(_ id: Int? = nil) async {
        _ = await onOwnThread { [self] in rd_kafka_mock_broker_set_up(cluster, Int32(id ?? -1)) }
    }

    /// Moves the leadership of one partition to broker `id`.
    public func setPartitionLeader(topic: String, partition: Int, broker id: Int) async throws(SwitchyardError) {
        let result = await onOwnThread { [self] in rd_kafka_mock_partition_set_leader(cluster, topic, Int32(partition), Int32(id)) }
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
        await onOwnThread { [self] in
            codes.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster, request.rawValue, buffer.count, buffer.baseAddress)
            }
        }
    }

    private func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await DedicatedThread.run(name: "switchyard-kafka-mock-call", body)
    }

    /// Stops the cluster and releases it. Clients still connected lose their connections. Calling it
    /// again is harmless.
    public func shutdown() async {
        guard stopping.raise() else { return }
        await logThread.join()
        await DedicatedThread.run(name: "switchyard-kafka-mock-destroy") { [self] in
            rd_kafka_mock_cluster_destroy(cluster)
            rd_kafka_queue_destroy(queue)
            rd_kafka_destroy(handle)
        }
    }
}
