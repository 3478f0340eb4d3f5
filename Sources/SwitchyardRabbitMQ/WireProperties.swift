/// The AMQP basic properties Switchyard reads and writes, as Swift values.
struct WireProperties: Sendable {
    var messageID: String?
    var contentType: String?
    /// Seconds since the Unix epoch.
    var timestamp: UInt64?
    /// 2 for persistent.
    var deliveryMode: UInt8?
    /// The headers table, in wire order.
    var headers: [WireHeader] = []
}

/// One entry of an AMQP headers table.
struct WireHeader: Sendable {
    var name: String
    var value: FieldValue
}

/// An AMQP field value, reduced to what Switchyard needs: bytes, integers and lists, with every other
/// scalar kept as its text.
enum FieldValue: Sendable, Hashable {
    /// A long string ('S') or byte array ('x'): binary-safe.
    case bytes([UInt8])
    /// Any signed or unsigned integer kind.
    case integer(Int64)
    /// A field array ('A').
    case list([FieldValue])
    /// A boolean ('t').
    case boolean(Bool)
    /// A timestamp ('T'), in seconds since the Unix epoch; written only, since received timestamps
    /// read as integers.
    case timestamp(seconds: Int64)
    /// Any other kind (float, decimal, table), rendered as text.
    case text(String)

    /// The value as header bytes: strings as they are, other scalars as their decimal or text form,
    /// lists as their elements' bytes joined by commas.
    var bytes: [UInt8] {
        switch self {
        case .bytes(let bytes): return bytes
        case .integer(let value): return Array(String(value).utf8)
        case .text(let text): return Array(text.utf8)
        case .boolean(let value): return Array(String(value).utf8)
        case .timestamp(let seconds): return Array(String(seconds).utf8)
        case .list(let values): return Array(values.map(\.bytes).joined(separator: [UInt8(ascii: ",")]))
        }
    }

    /// The value as an integer, when it is one or is decimal text.
    var integer: Int64? {
        switch self {
        case .integer(let value), .timestamp(let value): return value
        case .bytes(let bytes): return Int64(String(decoding: bytes, as: UTF8.self))
        case .text(let text): return Int64(text)
        case .list, .boolean: return nil
        }
    }
}
