import CRdKafka
import Logging
import Switchyard

/// The owner of one librdkafka mock cluster (`rd_kafka_mock_cluster_t`) and of the client handle it
/// runs in; its deinit destroys the cluster, then the handle.
///
/// Every call waits for the cluster's own thread, and destroying it joins that thread, so callers use
/// it from threads of their own (see ``KafkaMockCluster``).
final class RDKafkaMockCluster: @unchecked Sendable {
    // @unchecked Sendable is safe: `pointer` and `client` are set once; librdkafka's mock cluster API is
    // thread-safe (every call is an operation sent to the cluster's own thread).

    private let pointer: OpaquePointer
    private let client: RDKafkaClient

    /// Starts a cluster of `brokers` brokers on free local ports. Its handle's log lines go to its main
    /// queue, which ``logQueue()`` returns.
    init(brokers: Int) throws(SwitchyardError) {
        let client = try RDKafkaClient(
            RD_KAFKA_PRODUCER, properties: [("log.queue", "true")], events: RDKafkaEvents.common, what: "mock cluster's owner handle"
        )
        guard let pointer = rd_kafka_mock_cluster_new(client.pointer, Int32(brokers)) else {
            throw SwitchyardError(.internalError, "librdkafka could not start a mock cluster of \(brokers) brokers; see the log.")
        }
        self.pointer = pointer
        self.client = client
    }

    deinit {
        rd_kafka_mock_cluster_destroy(pointer)
    }

    /// The queue that receives the cluster handle's log lines.
    func logQueue() -> RDKafkaQueue {
        RDKafkaQueue.main(of: client)
    }

    /// The cluster's `host:port` list.
    var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(pointer))
    }

    func createTopic(_ name: String, partitions: Int, replicationFactor: Int) -> rd_kafka_resp_err_t {
        rd_kafka_mock_topic_create(pointer, name, Int32(partitions), Int32(replicationFactor))
    }

    /// Takes broker `id`, or every broker with -1, down.
    func setBrokerDown(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_down(pointer, id)
    }

    /// Brings broker `id`, or every broker with -1, back up.
    func setBrokerUp(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_up(pointer, id)
    }

    func setPartitionLeader(topic: String, partition: Int, broker id: Int) -> rd_kafka_resp_err_t {
        rd_kafka_mock_partition_set_leader(pointer, topic, Int32(partition), Int32(id))
    }

    /// Makes the next requests with API key `request` fail with `codes`, one each, in order.
    func failNextRequests(_ request: Int16, with codes: [rd_kafka_resp_err_t]) {
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(pointer, request, buffer.count, buffer.baseAddress)
        }
    }
}

/// The thread that forwards a mock cluster's log lines, and the only strong owner of the cluster: when
/// it ends, the cluster and its handle are destroyed on it.
final class MockClusterLogLoop: @unchecked Sendable {
    // @unchecked Sendable is safe: the loop is handed to its thread when it starts and used only there.

    private let cluster: RDKafkaMockCluster
    private let queue: RDKafkaQueue
    private let stopping: StopFlag
    private let logger: Logger

    /// Starts the thread; it runs until `stopping` is raised.
    static func start(cluster: RDKafkaMockCluster, stopping: StopFlag, logger: Logger) throws(SwitchyardError) -> DedicatedThread {
        let loop = MockClusterLogLoop(cluster: cluster, queue: cluster.logQueue(), stopping: stopping, logger: logger)
        let thread = DedicatedThread(name: "kafka-mock")
        try thread.start { loop.run() }
        return thread
    }

    private init(cluster: RDKafkaMockCluster, queue: RDKafkaQueue, stopping: StopFlag, logger: Logger) {
        self.cluster = cluster
        self.queue = queue
        self.stopping = stopping
        self.logger = logger
    }

    private func run() {
        while !stopping.isRaised {
            guard let event = queue.poll(100) else { continue }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_LOG {
                RDKafkaEvents.log(event, to: logger)
            }
            rd_kafka_event_destroy(event)
        }
    }
}
