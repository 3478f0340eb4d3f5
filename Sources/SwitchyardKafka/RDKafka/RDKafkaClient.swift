import CRdKafka
import Switchyard

/// The owner of one librdkafka client handle (`rd_kafka_t`): a producer, a consumer, an admin or
/// lookup client, or the handle a mock cluster runs in. Its deinit destroys the handle.
///
/// Destroying a handle blocks (it joins librdkafka's threads, and a consumer's leaves its group), so
/// the last reference must be dropped on a thread of its own, never on Swift's cooperative pool. A
/// short-lived client lives on the thread that uses it; a producer's or consumer's client is held by
/// its poll thread, while every other holder either keeps it `unowned` (valid until that thread has
/// ended) or lets go of it before the thread ends, as a consumer's session lets go of its queue.
final class RDKafkaClient: @unchecked Sendable {
    // @unchecked Sendable is safe: `pointer` is set once, and librdkafka's client handle is thread-safe
    // for every call made through it from several threads (produce, metadata, topic handles, yield).

    /// The handle, valid as long as this owner lives.
    let pointer: OpaquePointer

    /// Creates a client of `type` from `properties`, applied in order so later ones win, asking for the
    /// events in `events`, if given, on its queues.
    ///
    /// Errors name a refused property but never its value, which may be a secret. The configuration
    /// object goes to librdkafka when the handle is made and is freed here only when that fails.
    init(_ type: rd_kafka_type_t, properties: [(String, String)], events: Int32?, what: String) throws(SwitchyardError) {
        guard let conf = rd_kafka_conf_new() else {
            throw SwitchyardError(.internalError, "librdkafka could not allocate a configuration object.")
        }
        var buffer = [CChar](repeating: 0, count: 512)
        for (name, value) in properties where rd_kafka_conf_set(conf, name, value, &buffer, buffer.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw SwitchyardError(
                .invalidConfiguration,
                "The librdkafka property '\(name)' was refused: \(Self.text(buffer)). Fix or remove it in kafka.properties."
            )
        }
        if let events { rd_kafka_conf_set_events(conf, events) }
        guard let pointer = rd_kafka_new(type, conf, &buffer, buffer.count) else {
            rd_kafka_conf_destroy(conf)
            throw SwitchyardError(.invalidConfiguration, "librdkafka could not create the \(what): \(Self.text(buffer)). Check kafka.properties.")
        }
        self.pointer = pointer
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    /// Asks the cluster for metadata (of `topic` only, when given) and waits at most `timeoutMilliseconds`.
    /// A failure's message starts with `context`.
    func fetchMetadata(topic: OpaquePointer? = nil, timeoutMilliseconds: Int32, context: String) -> Result<RDKafkaMetadata, SwitchyardError> {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(pointer, 0, topic, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return .failure(KafkaErrorMapping.error(result, context))
        }
        return .success(RDKafkaMetadata(metadata))
    }

    /// The text librdkafka wrote into an error buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The owner of one metadata answer; its deinit frees it.
final class RDKafkaMetadata {
    private let pointer: UnsafePointer<rd_kafka_metadata>

    init(_ pointer: UnsafePointer<rd_kafka_metadata>) {
        self.pointer = pointer
    }

    deinit {
        rd_kafka_metadata_destroy(pointer)
    }

    /// The partition count of `topic` in this answer, or `nil` when the cluster does not have it.
    func partitionCount(of topic: String) -> Int? {
        for index in 0..<Int(pointer.pointee.topic_cnt) {
            let entry = pointer.pointee.topics[index]
            guard String(cString: entry.topic) == topic else { continue }
            return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? Int(entry.partition_cnt) : nil
        }
        return nil
    }
}

/// The owner of one librdkafka event queue (`rd_kafka_queue_t`); its deinit destroys the queue.
///
/// It keeps its client alive, so a queue is always destroyed before its client.
final class RDKafkaQueue: @unchecked Sendable {
    // @unchecked Sendable is safe: `pointer` is set once; `yield()` is documented thread-safe, and every
    // other call on the queue is made by the one poll thread that owns it.

    let pointer: OpaquePointer
    private let client: RDKafkaClient

    private init(_ pointer: OpaquePointer, client: RDKafkaClient) {
        self.pointer = pointer
        self.client = client
    }

    /// The client's main queue, which also receives its log lines.
    static func main(of client: RDKafkaClient) -> RDKafkaQueue {
        forwardingLogs(RDKafkaQueue(rd_kafka_queue_get_main(client.pointer)!, client: client))
    }

    /// The consumer's queue, with the main queue forwarded to it; it also receives the log lines.
    static func consumer(of client: RDKafkaClient) -> RDKafkaQueue {
        rd_kafka_poll_set_consumer(client.pointer)
        return forwardingLogs(RDKafkaQueue(rd_kafka_queue_get_consumer(client.pointer)!, client: client))
    }

    /// A new queue of the client's own, for the results of admin requests; it also receives the log lines.
    static func new(for client: RDKafkaClient) -> RDKafkaQueue {
        forwardingLogs(RDKafkaQueue(rd_kafka_queue_new(client.pointer)!, client: client))
    }

    private static func forwardingLogs(_ queue: RDKafkaQueue) -> RDKafkaQueue {
        rd_kafka_set_log_queue(queue.client.pointer, queue.pointer)
        return queue
    }

    deinit {
        rd_kafka_queue_destroy(pointer)
    }

    /// The next event, waiting at most `timeoutMilliseconds`; the caller destroys it.
    func poll(_ timeoutMilliseconds: Int32) -> OpaquePointer? {
        rd_kafka_queue_poll(pointer, timeoutMilliseconds)
    }

    /// Wakes a thread blocked in ``poll(_:)`` at once. Thread-safe, and never blocks.
    func yield() {
        rd_kafka_queue_yield(pointer)
    }
}

/// The owner of one topic-partition list (`rd_kafka_topic_partition_list_t`); its deinit destroys it.
///
/// The list is reached only through ``withList(_:)``, which keeps the owner alive while the pointer is
/// in use.
final class RDKafkaPartitionList {
    private let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// Takes ownership of `pointer`.
    init(owning pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    /// An empty list with room for `capacity` entries.
    convenience init(capacity: Int) {
        self.init(owning: rd_kafka_topic_partition_list_new(Int32(capacity))!)
    }

    /// A copy of a list this code does not own (as an event's).
    convenience init(copying list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.init(owning: rd_kafka_topic_partition_list_copy(list)!)
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    /// Calls `body` with the list, which stays valid until `body` returns.
    func withList<Result>(_ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) { try body(pointer) }
    }

    /// Adds `topic`'s `partition` at `offset`.
    func add(_ topic: String, partition: Int32, offset: Int64) {
        rd_kafka_topic_partition_list_add(pointer, topic, partition).pointee.offset = offset
    }
}
