import CRabbitMQ

/// One allocation that holds every byte a C call borrows, so a publish builds its properties, headers
/// and routing key without a heap allocation per field. Valid until ``deallocate()``.
struct ByteArena {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    /// Copies `bytes` into the arena and returns them as AMQP bytes.
    mutating func bytes(_ bytes: some Collection<UInt8>) -> amqp_bytes_t {
        let count = bytes.count
        precondition(used + count <= capacity, "ByteArena sized too small")
        let start = base + used
        var offset = 0
        for byte in bytes {
            start.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
        used += count
        return amqp_bytes_t(len: count, bytes: start)
    }

    /// Reserves room for `count` values of `T`, aligned, and returns them uninitialized.
    mutating func values<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let alignment = MemoryLayout<T>.alignment
        used = (used + alignment - 1) / alignment * alignment
        let size = MemoryLayout<T>.stride * count
        precondition(used + size <= capacity, "ByteArena sized too small")
        let start = (base + used).bindMemory(to: T.self, capacity: max(count, 1))
        used += size
        return start
    }

    /// The room a message needs for `byteCount` bytes, `values` table entries or field values, and
    /// alignment padding.
    static func capacity(byteCount: Int, values: Int) -> Int {
        let widest = max(MemoryLayout<amqp_table_entry_t>.stride, MemoryLayout<amqp_field_value_t>.stride)
        return byteCount + (values + 2) * (widest + 16)
    }

    func deallocate() {
        base.deallocate()
    }
}

extension amqp_bytes_t {
    /// A copy of the bytes, or an empty array for empty or null bytes.
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    /// The bytes decoded as UTF-8, repairing invalid sequences.
    var string: String {
        String(decoding: array, as: UTF8.self)
    }
}
