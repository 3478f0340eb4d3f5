/// Reads what ``ByteWriter`` wrote; every read returns `nil` instead of running past the end.
struct ByteReader {
    private let storage: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.storage = bytes
    }

    var isAtEnd: Bool { index == storage.count }

    mutating func uint8() -> UInt8? {
        guard index < storage.count else { return nil }
        defer { index += 1 }
        return storage[index]
    }

    mutating func uint32() -> UInt32? {
        guard storage.count - index >= 4 else { return nil }
        defer { index += 4 }
        return LittleEndian.uint32(storage, at: index)
    }

    mutating func uint64() -> UInt64? {
        guard storage.count - index >= 8 else { return nil }
        defer { index += 8 }
        return LittleEndian.uint64(storage, at: index)
    }

    mutating func bytes() -> [UInt8]? {
        guard let length = uint32().map(Int.init), storage.count - index >= length else { return nil }
        defer { index += length }
        return Array(storage[index..<(index + length)])
    }

    mutating func text() -> String? {
        bytes().flatMap { String(validating: $0, as: UTF8.self) }
    }
}

/// Reads little-endian integers out of a byte array.
enum LittleEndian {
    static func uint32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * offset) }
        return value
    }

    static func uint64(_ bytes: [UInt8], at index: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << (8 * offset) }
        return value
    }
}
