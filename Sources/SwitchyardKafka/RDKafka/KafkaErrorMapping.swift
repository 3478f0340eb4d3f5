import CRdKafka
import Switchyard

/// Turns librdkafka error codes into ``SwitchyardError`` codes, keeping librdkafka's own text.
enum KafkaErrorMapping {
    /// The core error for `code`, with `context` saying what was being done.
    static func error(_ code: rd_kafka_resp_err_t, _ context: String) -> SwitchyardError {
        let detail = "\(context): \(String(cString: rd_kafka_err2str(code))) (\(String(cString: rd_kafka_err2name(code))))"
        switch code {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
            RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
            return SwitchyardError(.brokerUnavailable, "\(detail). The Kafka cluster cannot be reached or has no leader; retry later.")
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            return SwitchyardError(.timeout, "\(detail). Kafka did not answer in time; retry, or raise the timeout.")
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return SwitchyardError(.topicNotFound, "\(detail). Create the topic with ensureTopic, or enable kafka.autoCreateTopics on a cluster that allows it.")
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
            return SwitchyardError(.messageTooLarge, "\(detail). Send a smaller message, or raise kafka.maxMessageBytes and the broker's message.max.bytes.")
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            return SwitchyardError(.authenticationFailed, "\(detail). Check the security.protocol, sasl.* and ssl.* properties and the ACLs.")
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
            RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING:
            return SwitchyardError(
                .rejectedByBroker,
                "\(detail). The idempotent producer hit a fatal error and can send no more; close it and create a new producer.",
                isRetriable: false
            )
        case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS, RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR__INVALID_ARG:
            return SwitchyardError(.invalidConfiguration, "\(detail). Fix the setting that librdkafka names.")
        default:
            if code.rawValue > 0 {
                return SwitchyardError(.rejectedByBroker, "\(detail). The broker refused the request.")
            }
            return SwitchyardError(.internalError, "\(detail). This is a librdkafka client failure; check the logs.")
        }
    }

    /// The core error for an `rd_kafka_error_t`, which this call destroys.
    static func consume(_ error: OpaquePointer, _ context: String) -> SwitchyardError {
        defer { rd_kafka_error_destroy(error) }
        if rd_kafka_error_is_fatal(error) != 0 {
            return self.error(RD_KAFKA_RESP_ERR__FATAL, "\(context): \(String(cString: rd_kafka_error_string(error)))")
        }
        return self.error(rd_kafka_error_code(error), context)
    }
}
