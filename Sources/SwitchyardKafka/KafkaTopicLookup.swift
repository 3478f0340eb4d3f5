import CRdKafka
import Switchyard

/// Asks a cluster whether a topic exists, without creating it.
enum KafkaTopicLookup {
    /// The partition count of `topic`, or `nil` when the cluster does not have it. Runs on a thread of
    /// its own with a short-lived client, and fails with a retriable `brokerUnavailable` when the
    /// cluster does not answer within `configuration.adminTimeout`.
    static func partitionCount(of topic: String, configuration: KafkaConfiguration) async throws(SwitchyardError) -> Int? {
        let outcome = await DedicatedThread.run(name: "switchyard-kafka-lookup") {
            Result { () throws(SwitchyardError) in try lookUp(topic, configuration: configuration) }
        }
        return try outcome.get()
    }

    private static func lookUp(_ topic: String, configuration: KafkaConfiguration) throws(SwitchyardError) -> Int? {
        // A consumer-type client never asks the brokers to create the topic it looks up. Its log lines
        // stay on its queue and go with the handle.
        let conf = try RDKafkaConf.make(configuration.clientProperties([("allow.auto.create.topics", "false")]))
        let handle = try RDKafkaConf.makeHandle(RD_KAFKA_CONSUMER, conf: conf, what: "topic lookup client")
        defer { rd_kafka_destroy(handle) }
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw SwitchyardError(.invalidTopicName, "librdkafka refused the topic name '\(topic)'.")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let timeout = Int32(KafkaConfiguration.milliseconds(configuration.adminTimeout)) ?? 10_000
        let result = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeout)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            let error = KafkaErrorMapping.error(result, "Looking up topic '\(topic)'")
            throw SwitchyardError(.brokerUnavailable, error.message, isRetriable: true)
        }
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == topic else { continue }
            return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? Int(entry.partition_cnt) : nil
        }
        return nil
    }
}
