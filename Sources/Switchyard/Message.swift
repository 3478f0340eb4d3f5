/// One message, the same on every backend.
///
/// The fields map onto each broker's wire format as <doc:MessageModel> describes. Keys, payloads and
/// header values are raw bytes and survive a round trip through any backend byte for byte.
public struct Message: Sendable, Hashable {
    /// A unique, stable identifier. Redelivery can duplicate a message; consumers deduplicate on this id.
    ///
    /// A new message gets a fresh UUIDv7, so ids sort roughly by creation time.
    public var id: String

    /// The partitioning key. Messages with the same key keep their order on backends that declare
    /// ``BackendCapabilities/orderedPerKey``.
    public var key: [UInt8]?

    /// The body. It may be empty, and it may be larger than 1 MiB up to the backend's
    /// ``BackendLimits/maxMessageBytes``.
    public var payload: [UInt8]

    /// Ordered name and value pairs. A name may appear more than once; the order is kept.
    ///
    /// The names in ``MessageHeader/reservedNames`` carry the id and timestamp on the wire and are
    /// refused by ``Producer``.
    public var headers: [MessageHeader]

    /// When the message was published, in microseconds since the Unix epoch.
    ///
    /// ``Producer`` stamps it at send time when it is `nil`.
    public var publishedAt: Int64?

    /// Creates a message. Without an `id`, a fresh UUIDv7 is assigned.
    public init(
        id: String = MessageID.generate(),
        key: [UInt8]? = nil,
        payload: [UInt8],
        headers: [MessageHeader] = [],
        publishedAt: Int64? = nil
    ) {
        self.id = id
        self.key = key
        self.payload = payload
        self.headers = headers
        self.publishedAt = publishedAt
    }

    /// Creates a message from UTF-8 text. Without an `id`, a fresh UUIDv7 is assigned.
    public init(
        id: String = MessageID.generate(),
        key: String?,
        payload: String,
        headers: [MessageHeader] = [],
        publishedAt: Int64? = nil
    ) {
        self.init(
            id: id,
            key: key.map { Array($0.utf8) },
            payload: Array(payload.utf8),
            headers: headers,
            publishedAt: publishedAt
        )
    }

    /// The key as UTF-8 text, or `nil` when there is no key or it is not valid UTF-8.
    public var keyString: String? {
        key.flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// The payload as UTF-8 text, or `nil` when it is not valid UTF-8.
    public var payloadString: String? {
        String(validating: payload, as: UTF8.self)
    }

    /// The value of the first header with this name.
    public func header(_ name: String) -> [UInt8]? {
        headers.first { $0.name == name }?.value
    }

    /// The size that counts against ``BackendLimits/maxMessageBytes``: key, payload and headers.
    public var encodedSize: Int {
        var size = payload.count + (key?.count ?? 0)
        for header in headers {
            size += header.name.utf8.count + header.value.count
        }
        return size
    }
}

/// One header: a name and a binary value.
public struct MessageHeader: Sendable, Hashable {
    /// The header name. Backends carry it as UTF-8.
    public var name: String
    /// The value, binary-safe on every backend.
    public var value: [UInt8]

    /// Creates a header with a binary value.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// Creates a header with a UTF-8 text value.
    public init(name: String, value: String) {
        self.init(name: name, value: Array(value.utf8))
    }

    /// The value as UTF-8 text, or `nil` when it is not valid UTF-8.
    public var stringValue: String? {
        String(validating: value, as: UTF8.self)
    }

    /// Header names that carry ``Message`` fields on the wire. Backends strip them from received headers,
    /// so user headers always round-trip exactly, and ``Producer`` refuses them on send.
    public static let reservedNames: Set<String> = [messageID, publishedAt, messageKey]

    /// The wire header that carries ``Message/id``.
    public static let messageID = "message-id"
    /// The wire header that carries ``Message/publishedAt`` in decimal microseconds.
    public static let publishedAt = "published-at"
    /// The wire header that carries a key that is not UTF-8 where a broker needs a text routing key.
    public static let messageKey = "message-key"
}
