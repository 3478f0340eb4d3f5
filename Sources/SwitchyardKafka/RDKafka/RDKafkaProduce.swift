import CRdKafka
import Switchyard

/// Why librdkafka did not take a message.
enum ProduceRefusal {
    /// Its local queue is full: wait for reports to drain it, then try again.
    case queueFull
    case failed(SwitchyardError)
}

extension RDKafkaClient {
    /// Produces `message` to `topicHandle`. Returns `nil` when librdkafka accepted it, and its report
    /// comes later with `opaque`; otherwise returns why it was refused, and no report comes.
    func produce(_ message: Message, to topicHandle: OpaquePointer, named topic: String, opaque: UnsafeMutableRawPointer?) -> ProduceRefusal? {
        let headers = RDKafkaRecord.makeHeaders(for: message)
        let timestamp = (message.publishedAt ?? WallClock.nowMicroseconds()) / 1000
        let error = RDKafkaRecord.withBytes(message.key) { key, keySize in
            RDKafkaRecord.withBytes(message.payload) { value, valueSize in
                switchyard_produce(pointer, topicHandle, key, keySize, value, valueSize, headers, timestamp, opaque)
            }
        }
        guard let error else { return nil }
        rd_kafka_headers_destroy(headers)
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return .queueFull
        }
        return .failed(KafkaErrorMapping.consume(error, "Producing message \(message.id) to '\(topic)'"))
    }
}
