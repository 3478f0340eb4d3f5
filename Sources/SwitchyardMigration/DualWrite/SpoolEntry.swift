import Switchyard

/// One message the secondary has not acknowledged, as the spool stores it: its place in the spool, its
/// topic and the message exactly as the primary received it (same id, key, payload, headers and
/// `publishedAt`), so the secondary's copy is identical.
struct SpoolEntry: Sendable, Hashable {
    /// Increases by one per entry for the life of the spool directory; replay and acknowledgement go by it.
    var sequence: UInt64
    var topic: String
    var message: Message

    /// The body of the entry's frame: little-endian integers and length-prefixed byte strings.
    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.reserve(64 + topic.utf8.count + message.encodedSize + message.id.utf8.count + message.headers.count * 8)
        writer.put(sequence)
        writer.put(bytes: Array(topic.utf8))
        writer.put(bytes: Array(message.id.utf8))
        if let key = message.key {
            writer.put(UInt8(1))
            writer.put(bytes: key)
        } else {
            writer.put(UInt8(0))
        }
        writer.put(bytes: message.payload)
        writer.put(UInt32(message.headers.count))
        for header in message.headers {
            writer.put(bytes: Array(header.name.utf8))
            writer.put(bytes: header.value)
        }
        if let publishedAt = message.publishedAt {
            writer.put(UInt8(1))
            writer.put(UInt64(bitPattern: publishedAt))
        } else {
            writer.put(UInt8(0))
        }
        return writer.bytes
    }

    /// Decodes a frame body; `nil` when it is not a well-formed entry. The frame's checksum has already
    /// matched, so `nil` means a writer bug or a checksum collision, and is reported as corruption.
    init?(decoding body: [UInt8]) {
        var reader = ByteReader(body)
        guard
            let sequence = reader.uint64(),
            let topic = reader.text(),
            let id = reader.text(),
            let hasKey = reader.uint8()
        else { return nil }
        var key: [UInt8]?
        if hasKey == 1 {
            guard let bytes = reader.bytes() else { return nil }
            key = bytes
        }
        guard let payload = reader.bytes(), let headerCount = reader.uint32() else { return nil }
        var headers: [MessageHeader] = []
        for _ in 0..<headerCount {
            guard let name = reader.text(), let value = reader.bytes() else { return nil }
            headers.append(MessageHeader(name: name, value: value))
        }
        guard let hasTimestamp = reader.uint8() else { return nil }
        var publishedAt: Int64?
        if hasTimestamp == 1 {
            guard let micros = reader.uint64() else { return nil }
            publishedAt = Int64(bitPattern: micros)
        }
        guard reader.isAtEnd else { return nil }
        self.sequence = sequence
        self.topic = topic
        self.message = Message(id: id, key: key, payload: payload, headers: headers, publishedAt: publishedAt)
    }

    init(sequence: UInt64, topic: String, message: Message) {
        self.sequence = sequence
        self.topic = topic
        self.message = message
    }
}
