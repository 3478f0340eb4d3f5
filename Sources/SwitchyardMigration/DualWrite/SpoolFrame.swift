/// The framing of every record in the spool's files: a magic number, the body's length and a CRC-32 over
/// the length and the body, then the body.
///
/// A torn write (the process killed mid-append) leaves a frame whose length runs past the end of the
/// file; a flipped byte makes the checksum fail. Both are found by ``SpoolFileScanner``, which then looks
/// for the next intact frame by its magic number and checksum.
enum SpoolFrame {
    /// `SYSP`, in the order the bytes are stored.
    static let magic: [UInt8] = [0x53, 0x59, 0x53, 0x50]
    /// Magic, length and checksum.
    static let headerSize = 12
    /// No body is larger; a header claiming more is corrupt.
    static let maxBodySize = 1 << 30

    /// The frame around `body`.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(headerSize + body.count)
        let length = UInt32(body.count)
        let lengthBytes = withUnsafeBytes(of: length.littleEndian) { Array($0) }
        bytes.append(contentsOf: lengthBytes)
        let checksum = CRC32.checksum(lengthBytes + body)
        withUnsafeBytes(of: checksum.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: body)
        return bytes
    }

    /// The body length a header claims, or `nil` when the header is not a frame header.
    static func bodyLength(ofHeader header: [UInt8]) -> Int? {
        guard header.count == headerSize, Array(header[0..<4]) == magic else { return nil }
        let length = Int(LittleEndian.uint32(header, at: 4))
        return length <= maxBodySize ? length : nil
    }

    /// Whether `body` matches the checksum in `header`.
    static func isIntact(header: [UInt8], body: [UInt8]) -> Bool {
        CRC32.checksum(header[4..<8] + body) == LittleEndian.uint32(header, at: 8)
    }
}
