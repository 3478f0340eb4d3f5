import CRdKafka
import Switchyard

/// The mapping between ``Message`` and a Kafka record (see *Message Model* in the Switchyard
/// documentation): key, value, headers with
/// `message-id` and `published-at`, and the record timestamp in milliseconds.
enum RDKafkaRecord {
    /// One byte to point at for an empty key or value, which librdkafka needs non-null to tell from absent.
    private static let emptyByte: [UInt8] = [0]

    /// Calls `body` with a pointer and size for `bytes`: `nil` for absent bytes, non-null for empty ones.
    static func withBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> Result) -> Result {
        guard let bytes else { return body(nil, 0) }
        return bytes.withUnsafeBytes { withBytes($0, body) }
    }

    /// Calls `body` with a pointer and size for `bytes`, non-null even when they are empty.
    static func withBytes<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer?, Int) -> Result) -> Result {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            return emptyByte.withUnsafeBytes { body($0.baseAddress, 0) }
        }
        return body(base, bytes.count)
    }

    /// The record headers for `message`: `message-id`, `published-at` (decimal microseconds), then the
    /// message's own headers in order. The caller owns the result. librdkafka copies every value, so
    /// the two added ones are passed from the message's id and a stack buffer, not from new arrays.
    static func makeHeaders(for message: Message) -> OpaquePointer {
        let headers = rd_kafka_headers_new(message.headers.count + 2)!
        var id = message.id
        id.withUTF8 { bytes in
            withBytes(UnsafeRawBufferPointer(bytes)) { pointer, size in
                _ = rd_kafka_header_add(headers, MessageHeader.messageID, -1, pointer, size)
            }
        }
        if let publishedAt = message.publishedAt {
            withDecimal(publishedAt) { digits in
                _ = rd_kafka_header_add(headers, MessageHeader.publishedAt, -1, digits.baseAddress, digits.count)
            }
        }
        for header in message.headers {
            withBytes(header.value) { pointer, size in
                _ = rd_kafka_header_add(headers, header.name, -1, pointer, size)
            }
        }
        return headers
    }

    /// Calls `body` with the decimal digits of `value` (with a leading `-` when negative), as
    /// `String(value)` would spell them, in a stack buffer.
    private static func withDecimal(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var magnitude = value.magnitude
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[start...])))
        }
    }

    /// The message a consumed record carries. A record without `message-id` (from another client) gets
    /// the stable id `kafka:<topic>:<partition>:<offset>`; one without `published-at` takes the record
    /// timestamp. A null value (a tombstone) is an empty payload.
    static func message(from record: UnsafePointer<rd_kafka_message_t>, topic: String) -> Message {
        let fields = record.pointee
        let payload = bytes(fields.payload, fields.len) ?? []
        let key = bytes(fields.key, fields.key_len)
        var id: String?
        var publishedAt: Int64?
        var headers: [MessageHeader] = []
        var recordHeaders: OpaquePointer?
        if rd_kafka_message_headers(record, &recordHeaders) == RD_KAFKA_RESP_ERR_NO_ERROR, let recordHeaders {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(recordHeaders, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                index += 1
                // Names this short are stored inline in the String; the two added headers are decoded
                // straight from librdkafka's buffer, without an intermediate array.
                let headerName = name.map { String(cString: $0) } ?? ""
                let headerBytes = UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : size)
                switch headerName {
                case MessageHeader.messageID where id == nil:
                    id = String(decoding: headerBytes, as: UTF8.self)
                case MessageHeader.publishedAt where publishedAt == nil:
                    publishedAt = decimal(headerBytes)
                default:
                    headers.append(MessageHeader(name: headerName, value: bytes(value, size) ?? []))
                }
            }
        }
        if publishedAt == nil {
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let milliseconds = rd_kafka_message_timestamp(record, &type)
            if type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE { publishedAt = milliseconds * 1000 }
        }
        return Message(
            id: id ?? "kafka:\(topic):\(fields.partition):\(fields.offset)",
            key: key,
            payload: payload,
            headers: headers,
            publishedAt: publishedAt
        )
    }

    /// The integer that decimal `digits` spell, with an optional leading `+` or `-`, as `Int64(_:)` reads
    /// a string: `nil` when they are empty, hold anything else, or overflow.
    static func decimal(_ digits: UnsafeRawBufferPointer) -> Int64? {
        var index = digits.startIndex
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            index += 1
        }
        guard index < digits.endIndex else { return nil }
        var value: Int64 = 0
        while index < digits.endIndex {
            let digit = digits[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (next, digitOverflow) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !shiftOverflow, !digitOverflow else { return nil }
            value = next
            index += 1
        }
        return value
    }

    private static func bytes(_ pointer: UnsafeRawPointer?, _ count: Int) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func bytes(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8]? {
        bytes(UnsafeRawPointer(pointer), count)
    }
}
