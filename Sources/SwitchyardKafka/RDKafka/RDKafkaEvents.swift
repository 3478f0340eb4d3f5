import CRdKafka
import Logging

/// Handling of the events every librdkafka handle produces: its log lines and its errors.
enum RDKafkaEvents {
    /// The event types every handle asks for, besides its own.
    static let common = Int32(RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR)

    /// Forwards a log event to `logger` at the matching level.
    static func log(_ event: OpaquePointer, to logger: Logger) {
        var facility: UnsafePointer<CChar>?
        var text: UnsafePointer<CChar>?
        var level: Int32 = 7
        guard rd_kafka_event_log(event, &facility, &text, &level) == 0 else { return }
        let line = "librdkafka \(facility.map { String(cString: $0) } ?? "-"): \(text.map { String(cString: $0) } ?? "")"
        let mapped: Logger.Level =
            switch level {
            case ...3: .error
            case 4: .warning
            case 5: .notice
            case 6: .info
            default: .debug
            }
        logger.log(level: mapped, "\(line)")
    }

    /// The text of an error event, and whether librdkafka calls it fatal.
    static func error(_ event: OpaquePointer) -> (code: rd_kafka_resp_err_t, text: String, isFatal: Bool) {
        let code = rd_kafka_event_error(event)
        let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
        return (code, text, rd_kafka_event_error_is_fatal(event) != 0)
    }
}
