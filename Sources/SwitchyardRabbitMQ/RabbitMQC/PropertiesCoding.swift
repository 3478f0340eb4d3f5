import CRabbitMQ

extension WireProperties {
    /// Builds the C properties in an arena, calls `body` with them, and frees the arena. The
    /// properties are valid only inside `body`.
    func withCProperties<R>(_ body: (UnsafePointer<amqp_basic_properties_t>) -> R) -> R {
        var arena = ByteArena(capacity: arenaCapacity)
        defer { arena.deallocate() }

        var properties = amqp_basic_properties_t()
        var flags: UInt32 = 0
        if let contentType {
            properties.content_type = arena.bytes(contentType.utf8)
            flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG)
        }
        if let deliveryMode {
            properties.delivery_mode = deliveryMode
            flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
        }
        if let messageID {
            properties.message_id = arena.bytes(messageID.utf8)
            flags |= UInt32(AMQP_BASIC_MESSAGE_ID_FLAG)
        }
        if let timestamp {
            properties.timestamp = timestamp
            flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG)
        }
        if !headers.isEmpty {
            properties.headers = cTable(in: &arena)
            flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
        }
        properties._flags = amqp_flags_t(flags)
        return withUnsafePointer(to: &properties) { body($0) }
    }

    /// Builds the headers alone as a C table (for queue and consume arguments), calls `body` with it,
    /// and frees it.
    func withCTable<R>(_ body: (amqp_table_t) -> R) -> R {
        var arena = ByteArena(capacity: arenaCapacity)
        defer { arena.deallocate() }
        return body(cTable(in: &arena))
    }

    private var arenaCapacity: Int {
        var byteCount = (messageID?.utf8.count ?? 0) + (contentType?.utf8.count ?? 0)
        var valueCount = headers.count
        for header in headers {
            byteCount += header.name.utf8.count + header.value.encodedByteCount
            valueCount += header.value.encodedValueCount
        }
        return ByteArena.capacity(byteCount: byteCount, values: valueCount)
    }

    private func cTable(in arena: inout ByteArena) -> amqp_table_t {
        guard !headers.isEmpty else { return amqp_empty_table }
        let entries = arena.values(of: amqp_table_entry_t.self, count: headers.count)
        for (index, header) in headers.enumerated() {
            let entry = amqp_table_entry_t(key: arena.bytes(header.name.utf8), value: header.value.cValue(in: &arena))
            (entries + index).initialize(to: entry)
        }
        return amqp_table_t(num_entries: Int32(headers.count), entries: entries)
    }

    /// Copies the properties out of a decoded content header, which lives only until rabbitmq-c
    /// releases its buffers.
    init(copying properties: UnsafePointer<amqp_basic_properties_t>) {
        let source = properties.pointee
        let flags = UInt32(source._flags)
        self.init()
        if flags & UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0 { contentType = source.content_type.string }
        if flags & UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 { deliveryMode = source.delivery_mode }
        if flags & UInt32(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 { messageID = source.message_id.string }
        if flags & UInt32(AMQP_BASIC_TIMESTAMP_FLAG) != 0 { timestamp = source.timestamp }
        if flags & UInt32(AMQP_BASIC_HEADERS_FLAG) != 0 {
            headers = FieldValue.entries(of: source.headers).map { WireHeader(name: $0.0, value: $0.1) }
        }
    }
}

extension FieldValue {
    private static let kindLongString = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
    private static let kindArray = UInt8(AMQP_FIELD_KIND_ARRAY.rawValue)
    private static let kindI64 = UInt8(AMQP_FIELD_KIND_I64.rawValue)
    private static let kindBoolean = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
    private static let kindTimestamp = UInt8(AMQP_FIELD_KIND_TIMESTAMP.rawValue)

    var encodedByteCount: Int {
        switch self {
        case .bytes(let bytes): return bytes.count
        case .text(let text): return text.utf8.count
        case .integer, .boolean, .timestamp: return 0
        case .list(let values): return values.reduce(0) { $0 + $1.encodedByteCount }
        }
    }

    var encodedValueCount: Int {
        switch self {
        case .list(let values): return values.count + values.reduce(0) { $0 + $1.encodedValueCount }
        default: return 0
        }
    }

    /// The C value, its bytes in `arena`. Text goes out as a long string, like bytes.
    func cValue(in arena: inout ByteArena) -> amqp_field_value_t {
        var value = amqp_field_value_t()
        switch self {
        case .bytes(let bytes):
            value.kind = Self.kindLongString
            value.value.bytes = arena.bytes(bytes)
        case .text(let text):
            value.kind = Self.kindLongString
            value.value.bytes = arena.bytes(text.utf8)
        case .integer(let integer):
            value.kind = Self.kindI64
            value.value.i64 = integer
        case .timestamp(let seconds):
            value.kind = Self.kindTimestamp
            value.value.u64 = UInt64(max(0, seconds))
        case .boolean(let boolean):
            value.kind = Self.kindBoolean
            value.value.boolean = boolean ? 1 : 0
        case .list(let values):
            let elements = arena.values(of: amqp_field_value_t.self, count: values.count)
            for (index, element) in values.enumerated() {
                (elements + index).initialize(to: element.cValue(in: &arena))
            }
            value.kind = Self.kindArray
            value.value.array = amqp_array_t(num_entries: Int32(values.count), entries: elements)
        }
        return value
    }

    /// The entries of a C table, copied.
    static func entries(of table: amqp_table_t) -> [(String, FieldValue)] {
        guard table.num_entries > 0, let entries = table.entries else { return [] }
        return (0..<Int(table.num_entries)).map { index in
            let entry = entries[index]
            return (entry.key.string, FieldValue(copying: entry.value))
        }
    }

    /// A copy of a C field value.
    init(copying value: amqp_field_value_t) {
        switch amqp_field_value_kind_t(rawValue: UInt32(value.kind)) {
        case AMQP_FIELD_KIND_UTF8, AMQP_FIELD_KIND_BYTES:
            self = .bytes(value.value.bytes.array)
        case AMQP_FIELD_KIND_I8: self = .integer(Int64(value.value.i8))
        case AMQP_FIELD_KIND_U8: self = .integer(Int64(value.value.u8))
        case AMQP_FIELD_KIND_I16: self = .integer(Int64(value.value.i16))
        case AMQP_FIELD_KIND_U16: self = .integer(Int64(value.value.u16))
        case AMQP_FIELD_KIND_I32: self = .integer(Int64(value.value.i32))
        case AMQP_FIELD_KIND_U32: self = .integer(Int64(value.value.u32))
        case AMQP_FIELD_KIND_I64: self = .integer(value.value.i64)
        case AMQP_FIELD_KIND_U64: self = .integer(Int64(truncatingIfNeeded: value.value.u64))
        case AMQP_FIELD_KIND_TIMESTAMP: self = .integer(Int64(truncatingIfNeeded: value.value.u64))
        case AMQP_FIELD_KIND_BOOLEAN: self = .boolean(value.value.boolean != 0)
        case AMQP_FIELD_KIND_F32: self = .text(String(value.value.f32))
        case AMQP_FIELD_KIND_F64: self = .text(String(value.value.f64))
        case AMQP_FIELD_KIND_ARRAY:
            let array = value.value.array
            if array.num_entries > 0, let entries = array.entries {
                self = .list((0..<Int(array.num_entries)).map { FieldValue(copying: entries[$0]) })
            } else {
                self = .list([])
            }
        case AMQP_FIELD_KIND_TABLE:
            let rendered = FieldValue.entries(of: value.value.table).map { "\($0.0)=\(String(decoding: $0.1.bytes, as: UTF8.self))" }
            self = .text("{" + rendered.joined(separator: ", ") + "}")
        case AMQP_FIELD_KIND_DECIMAL:
            let decimal = value.value.decimal
            self = .text("\(decimal.value)e-\(decimal.decimals)")
        default:
            self = .text("")
        }
    }
}
