import CRdKafka
import Logging
import Switchyard

/// Topic creation on a real cluster through the CreateTopics admin API.
enum RDKafkaAdmin {
    /// Creates `spec`'s topic, treating one that already exists as success. Runs on a thread of its own
    /// with a short-lived client; fails with a retriable `timeout` when the cluster does not answer
    /// within `configuration.adminTimeout`.
    static func createTopic(_ spec: TopicSpec, configuration: KafkaConfiguration, logger: Logger) async throws(SwitchyardError) {
        let outcome = try await DedicatedThread.run(name: "kafka-admin") {
            Result { () throws(SwitchyardError) in try createBlocking(spec, configuration: configuration, logger: logger) }
        }
        try outcome.get()
    }

    private static func createBlocking(_ spec: TopicSpec, configuration: KafkaConfiguration, logger: Logger) throws(SwitchyardError) {
        let client = try RDKafkaClient(
            RD_KAFKA_PRODUCER,
            properties: configuration.clientProperties([]),
            events: Int32(RD_KAFKA_EVENT_CREATETOPICS_RESULT) | RDKafkaEvents.common,
            what: "admin client"
        )
        // The queue keeps the client alive; both are destroyed after the other admin objects, when this
        // function returns, on this thread.
        let queue = RDKafkaQueue.new(for: client)
        defer { withExtendedLifetime(queue) {} }
        let handle = client.pointer

        var buffer = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(spec.replicationFactor ?? -1), &buffer, buffer.count) else {
            throw SwitchyardError(.invalidConfiguration, "Topic '\(spec.name)' cannot be created as asked: \(RDKafkaClient.text(buffer)).")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        let timeout = configuration.adminTimeout.timeoutMilliseconds
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout, &buffer, buffer.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout, &buffer, buffer.count)
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(handle, &topics, 1, options, queue.pointer)

        let deadline = ContinuousClock.now + configuration.adminTimeout + .seconds(5)
        while ContinuousClock.now < deadline {
            guard let event = queue.poll(100) else { continue }
            defer { rd_kafka_event_destroy(event) }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_LOG:
                RDKafkaEvents.log(event, to: logger)
            case RD_KAFKA_EVENT_CREATETOPICS_RESULT:
                try check(event, topic: spec.name)
                return
            default:
                break
            }
        }
        throw SwitchyardError(.timeout, "Creating topic '\(spec.name)' got no answer within \(configuration.adminTimeout). Check that the cluster is reachable, then retry.")
    }

    private static func check(_ event: OpaquePointer, topic: String) throws(SwitchyardError) {
        let requestError = rd_kafka_event_error(event)
        if requestError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaErrorMapping.error(requestError, "Creating topic '\(topic)'")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event), let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let code = rd_kafka_topic_result_error(results[index])
            if code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let detail = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                throw KafkaErrorMapping.error(code, "Creating topic '\(topic)' (\(detail))")
            }
        }
    }
}
