import Switchyard

/// How a ``Message`` travels over AMQP 0-9-1 (see *Message Model* in the Switchyard documentation).
///
/// - The key is the routing key when it is UTF-8 of 1 to 255 bytes. Any other key (binary, longer,
///   or empty) travels in the `message-key` header with an empty routing key; no key means neither.
/// - The id is both the `message_id` property and the `message-id` header; the publish time is the
///   `published-at` header in decimal microseconds and the `timestamp` property in seconds.
/// - User headers are long strings ('S'), which are binary-safe. AMQP tables cannot repeat a name, so
///   a name that occurs more than once travels as one field array ('A') of its values at the place
///   of its first occurrence: the values keep their order, and the repeats come back next to each
///   other. Stream queues drop field arrays (RabbitMQ 3.10 stores stream messages as AMQP 1.0), so
///   for them the values are packed instead into one long string, each value prefixed with its
///   length as 4 bytes big-endian, and the header ``packedHeadersHeader`` lists the packed names the
///   same way; decoding unpacks them.
/// - Messages are persistent (delivery mode 2) with content type `application/octet-stream`.
enum WireFormat {
    static let contentType = "application/octet-stream"
    static let persistent: UInt8 = 2
    /// The header quorum queues add on redelivery, counting earlier deliveries.
    static let deliveryCountHeader = "x-delivery-count"
    static let maxRoutingKeyBytes = 255
    /// The consume argument that says where a stream consumer starts, and the header with which a
    /// stream marks each delivery's offset.
    static let streamOffsetHeader = "x-stream-offset"
    /// Names the headers whose repeated values are packed into one string (stream queues).
    static let packedHeadersHeader = "x-switchyard-packed-headers"
    /// Header names Switchyard or the broker set, which a message may not carry.
    static let reservedHeaders: Set<String> = [deliveryCountHeader, streamOffsetHeader, packedHeadersHeader]

    /// Removes the `x-stream-offset` header a stream adds to a delivery and returns its value.
    static func takeStreamOffset(from delivery: inout IncomingDelivery) -> Int64? {
        guard let index = delivery.properties.headers.firstIndex(where: { $0.name == streamOffsetHeader }) else { return nil }
        return delivery.properties.headers.remove(at: index).value.integer
    }

    /// The routing key and properties for `message`; with `packRepeated`, repeated headers are
    /// packed rather than sent as field arrays.
    static func encode(_ message: Message, packRepeated: Bool = false) -> (routingKey: [UInt8], properties: WireProperties) {
        var order: [String] = []
        var values: [String: [[UInt8]]] = [:]
        for header in message.headers {
            if values[header.name] == nil { order.append(header.name) }
            values[header.name, default: []].append(header.value)
        }
        var packed: [[UInt8]] = []
        var headers = order.map { name -> WireHeader in
            let all = values[name] ?? []
            if all.count == 1 { return WireHeader(name: name, value: .bytes(all[0])) }
            if packRepeated {
                packed.append(Array(name.utf8))
                return WireHeader(name: name, value: .bytes(pack(all)))
            }
            return WireHeader(name: name, value: .list(all.map(FieldValue.bytes)))
        }
        if !packed.isEmpty {
            headers.append(WireHeader(name: packedHeadersHeader, value: .bytes(pack(packed))))
        }
        headers.append(WireHeader(name: MessageHeader.messageID, value: .bytes(Array(message.id.utf8))))
        if let publishedAt = message.publishedAt {
            headers.append(WireHeader(name: MessageHeader.publishedAt, value: .bytes(Array(String(publishedAt).utf8))))
        }
        var routingKey: [UInt8] = []
        if let key = message.key {
            if !key.isEmpty, key.count <= maxRoutingKeyBytes, String(validating: key, as: UTF8.self) != nil {
                routingKey = key
            } else {
                headers.append(WireHeader(name: MessageHeader.messageKey, value: .bytes(key)))
            }
        }
        let properties = WireProperties(
            messageID: message.id,
            contentType: contentType,
            timestamp: message.publishedAt.map { UInt64(max(0, $0) / 1_000_000) },
            deliveryMode: persistent,
            headers: headers
        )
        return (routingKey, properties)
    }

    /// The message a delivery carries and its delivery attempt.
    ///
    /// Messages from other AMQP clients decode too: the id comes from `message_id` (a fresh id when
    /// there is none), the key from the routing key, the time from `timestamp`, and headers of other
    /// kinds as text (integers in decimal, arrays as repeated headers).
    static func decode(_ delivery: IncomingDelivery) -> (message: Message, attempt: Int) {
        let properties = delivery.properties
        var headers: [MessageHeader] = []
        var id: String?
        var key: [UInt8]?
        var publishedAt: Int64?
        var previousDeliveries: Int64?
        let packedNames = properties.headers.first(where: { $0.name == packedHeadersHeader }).map { Set(unpack($0.value.bytes).map { String(decoding: $0, as: UTF8.self) }) } ?? []
        for header in properties.headers {
            switch header.name {
            case MessageHeader.messageID:
                id = String(decoding: header.value.bytes, as: UTF8.self)
            case MessageHeader.publishedAt:
                publishedAt = header.value.integer
            case MessageHeader.messageKey:
                key = header.value.bytes
            case deliveryCountHeader:
                previousDeliveries = header.value.integer
            case packedHeadersHeader:
                continue
            case let name where packedNames.contains(name):
                headers += unpack(header.value.bytes).map { MessageHeader(name: name, value: $0) }
            default:
                if case .list(let values) = header.value {
                    headers += values.map { MessageHeader(name: header.name, value: $0.bytes) }
                } else {
                    headers.append(MessageHeader(name: header.name, value: header.value.bytes))
                }
            }
        }
        if key == nil, !delivery.routingKey.isEmpty {
            key = delivery.routingKey
        }
        let message = Message(
            id: id ?? properties.messageID ?? MessageID.generate(),
            key: key,
            payload: delivery.body,
            headers: headers,
            publishedAt: publishedAt ?? properties.timestamp.map { Int64($0) * 1_000_000 }
        )
        let attempt: Int
        if let previousDeliveries {
            attempt = Int(previousDeliveries) + 1
        } else {
            attempt = delivery.redelivered ? 2 : 1
        }
        return (message, attempt)
    }

    /// The values, each prefixed with its length as 4 bytes big-endian.
    static func pack(_ values: [[UInt8]]) -> [UInt8] {
        var packed: [UInt8] = []
        for value in values {
            let count = UInt32(value.count)
            packed += [UInt8(count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)]
            packed += value
        }
        return packed
    }

    /// The values of ``pack(_:)``; a truncated tail is dropped.
    static func unpack(_ packed: [UInt8]) -> [[UInt8]] {
        var values: [[UInt8]] = []
        var index = 0
        while index + 4 <= packed.count {
            let count = packed[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            index += 4
            guard index + count <= packed.count else { break }
            values.append(Array(packed[index..<index + count]))
            index += count
        }
        return values
    }
}
