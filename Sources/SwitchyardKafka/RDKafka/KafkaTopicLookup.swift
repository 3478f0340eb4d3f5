import CRdKafka
import Switchyard

/// Asks a cluster whether a topic exists, without creating it.
enum KafkaTopicLookup {
    /// The partition count of `topic`, or `nil` when the cluster does not have it. Runs on a thread of
    /// its own with a short-lived client, and fails with a retriable `brokerUnavailable` when the
    /// cluster does not answer within `configuration.adminTimeout`.
    static func partitionCount(of topic: String, configuration: KafkaConfiguration) async throws(SwitchyardError) -> Int? {
        let outcome = try await DedicatedThread.run(name: "kafka-lookup") {
            Result { () throws(SwitchyardError) in try lookUp(topic, configuration: configuration) }
        }
        return try outcome.get()
    }

    private static func lookUp(_ topic: String, configuration: KafkaConfiguration) throws(SwitchyardError) -> Int? {
        // A consumer-type client never asks the brokers to create the topic it looks up. Its log lines
        // stay on its queue and go with the handle, which is destroyed here, on this thread.
        let client = try RDKafkaClient(
            RD_KAFKA_CONSUMER,
            properties: configuration.clientProperties([("allow.auto.create.topics", "false")]),
            events: nil,
            what: "topic lookup client"
        )
        return try withExtendedLifetime(client) { () throws(SwitchyardError) -> Int? in
            guard let topicHandle = rd_kafka_topic_new(client.pointer, topic, nil) else {
                throw SwitchyardError(.invalidTopicName, "librdkafka refused the topic name '\(topic)'.")
            }
            defer { rd_kafka_topic_destroy(topicHandle) }
            let timeout = configuration.adminTimeout.timeoutMilliseconds
            switch client.fetchMetadata(topic: topicHandle, timeoutMilliseconds: timeout, context: "Looking up topic '\(topic)'") {
            case .success(let metadata):
                return metadata.partitionCount(of: topic)
            case .failure(let error):
                throw SwitchyardError(.brokerUnavailable, error.message, isRetriable: true)
            }
        }
    }
}
