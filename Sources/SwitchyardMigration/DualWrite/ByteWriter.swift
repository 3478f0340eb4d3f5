/// Appends little-endian integers and length-prefixed byte strings.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func reserve(_ capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func put(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func put(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func put(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func put(bytes value: [UInt8]) {
        put(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
}
