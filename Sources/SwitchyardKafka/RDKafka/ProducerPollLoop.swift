import CRdKafka
import Logging
import Switchyard

/// The poll thread of one Kafka producer, and the only strong owner of its librdkafka handle.
///
/// It reads delivery reports, log lines and errors from the main queue and hands the reports to their
/// sends through ``ProducerSends``. Once ``ProducerSends/stopping`` is raised it releases the topic
/// handles and ends; the queue and the handle are destroyed as the thread lets go of this object, on
/// the thread itself. The driver and ``ProducerTopics`` reach the handle through `unowned` references,
/// used only while sends are admitted, which is before the flag is raised.
final class ProducerPollLoop: @unchecked Sendable {
    // @unchecked Sendable is safe: the loop is handed to its thread when it starts, and from then on
    // only that thread uses it; what it shares with other threads is in `sends`, behind its lock, and
    // in `topics`, which is thread-safe.

    private let client: RDKafkaClient
    private let queue: RDKafkaQueue
    private let sends: ProducerSends
    private let topics: ProducerTopics
    private let logger: Logger

    /// Creates the producer handle and starts its poll thread. Returns what the driver keeps: the
    /// handle, which the driver must hold `unowned`, its topics, and the thread, never the loop.
    static func start(
        properties: [(String, String)],
        sends: ProducerSends,
        metadataWait: Duration,
        logger: Logger
    ) throws(SwitchyardError) -> (client: RDKafkaClient, topics: ProducerTopics, thread: DedicatedThread) {
        let client = try RDKafkaClient(RD_KAFKA_PRODUCER, properties: properties, events: Int32(RD_KAFKA_EVENT_DR) | RDKafkaEvents.common, what: "producer")
        let topics = ProducerTopics(client: client, metadataWait: metadataWait)
        let loop = ProducerPollLoop(client: client, queue: RDKafkaQueue.main(of: client), sends: sends, topics: topics, logger: logger)
        let thread = DedicatedThread(name: "kafka-producer")
        try thread.start { loop.run() }
        return (client, topics, thread)
    }

    private init(client: RDKafkaClient, queue: RDKafkaQueue, sends: ProducerSends, topics: ProducerTopics, logger: Logger) {
        self.client = client
        self.queue = queue
        self.sends = sends
        self.topics = topics
        self.logger = logger
    }

    private func run() {
        var reports: [(slot: Int, index: Int, outcome: ProducerSends.Outcome)] = []
        while !sends.stopping.isRaised {
            guard let event = queue.poll(100) else { continue }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                deliveryReports(event, into: &reports)
                sends.deliver(reports)
            case RD_KAFKA_EVENT_LOG:
                RDKafkaEvents.log(event, to: logger)
            case RD_KAFKA_EVENT_ERROR:
                producerError(event)
            default:
                break
            }
            rd_kafka_event_destroy(event)
        }
        topics.destroyAll()
    }

    /// Reads the reports of one event into `reports`, which it empties first.
    private func deliveryReports(_ event: OpaquePointer, into reports: inout [(slot: Int, index: Int, outcome: ProducerSends.Outcome)]) {
        reports.removeAll(keepingCapacity: true)
        while let record = rd_kafka_event_message_next(event) {
            let (slot, index) = ProducerSends.slotAndIndex(record.pointee._private)
            let code = record.pointee.err
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                reports.append((slot, index, .delivered(DeliveryPosition(partition: record.pointee.partition, offset: record.pointee.offset))))
            } else {
                let topic = record.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                reports.append((slot, index, .failed(KafkaErrorMapping.error(code, "Kafka did not take a message for '\(topic)'"))))
            }
        }
    }

    private func producerError(_ event: OpaquePointer) {
        let (code, text, isFatal) = RDKafkaEvents.error(event)
        guard isFatal else {
            logger.warning("Kafka producer error", metadata: ["code": "\(String(cString: rd_kafka_err2name(code)))", "detail": "\(text)"])
            return
        }
        let error = KafkaErrorMapping.error(RD_KAFKA_RESP_ERR__FATAL, "The Kafka producer failed fatally: \(text)")
        logger.error("Kafka producer failed fatally", metadata: ["detail": "\(text)"])
        sends.state.withLock { $0.fatal = error }
    }
}
