import CRdKafka
import Switchyard
import Testing

@testable import SwitchyardKafka

struct KafkaErrorMappingTests {
    @Test(arguments: [
        (RD_KAFKA_RESP_ERR__TRANSPORT, SwitchyardError.Code.brokerUnavailable, true),
        (RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, .brokerUnavailable, true),
        (RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, .brokerUnavailable, true),
        (RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, .timeout, true),
        (RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, .topicNotFound, false),
        (RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, .messageTooLarge, false),
        (RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, .authenticationFailed, false),
        (RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, .authenticationFailed, false),
        (RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, .rejectedByBroker, false),
        (RD_KAFKA_RESP_ERR__FATAL, .rejectedByBroker, false),
    ])
    func librdkafkaErrorsMapToCoreCodesWithTheirText(_ code: rd_kafka_resp_err_t, _ expected: SwitchyardError.Code, _ retriable: Bool) {
        let error = KafkaErrorMapping.error(code, "Doing something")
        #expect(error.code == expected)
        #expect(error.isRetriable == retriable)
        #expect(error.message.hasPrefix("Doing something: \(String(cString: rd_kafka_err2str(code)))"))
        #expect(error.message.contains(String(cString: rd_kafka_err2name(code))))
    }

    @Test func secretPropertiesAreRedactedInTheDescription() {
        let configuration = KafkaConfiguration(
            bootstrapServers: "broker:9092",
            properties: ["sasl.password": "hunter2", "ssl.key.password": "k3y", "sasl.oauthbearer.client.secret": "s", "linger.ms": "10"]
        )
        let shown = "\(configuration)"
        #expect(!shown.contains("hunter2") && !shown.contains("k3y") && !shown.contains("=s,") && !shown.contains("=s]"))
        #expect(shown.contains("linger.ms=10"))
        #expect(shown.contains("sasl.password=<redacted>"))
    }

    @Test func aRefusedPropertyIsAConfigurationErrorThatNamesItButNotItsValue() {
        #expect {
            _ = try RDKafkaClient(RD_KAFKA_PRODUCER, properties: [("sasl.password.nonsense", "hunter2")], events: nil, what: "producer")
        } throws: { error in
            let error = error as? SwitchyardError
            return error?.code == .invalidConfiguration && error?.message.contains("sasl.password.nonsense") == true
                && error?.message.contains("hunter2") == false
        }
    }
}
