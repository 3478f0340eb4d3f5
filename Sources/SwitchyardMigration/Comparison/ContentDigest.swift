/// A 64-bit fingerprint of bytes, used to match ids and to compare payloads and headers without
/// keeping them.
///
/// It is deterministic across processes and platforms (a report can quote it), fast (eight bytes per
/// step), and not cryptographic: two different inputs share a digest with a probability of about 2⁻⁶⁴.
enum ContentDigest {
    private static let seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let multiplier: UInt64 = 0xFF51_AFD7_ED55_8CCD

    /// The digest of `bytes`, continuing from `state` so several fields can be chained.
    static func of(_ bytes: UnsafeRawBufferPointer, state: UInt64 = seed) -> UInt64 {
        finalize(absorb(bytes, into: state))
    }

    /// `state` with `bytes` mixed in but not yet spread by ``finalize(_:)``: the cheaper way to chain a
    /// field that more bytes follow.
    static func absorb(_ bytes: UnsafeRawBufferPointer, into state: UInt64 = seed) -> UInt64 {
        var hash = state ^ (UInt64(truncatingIfNeeded: bytes.count) &* multiplier)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = mix(hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        let remaining = bytes.count - offset
        if remaining >= 4 {
            // The last one to seven bytes, little-endian, from two overlapping four-byte loads.
            let low = UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let high = UInt64(bytes.loadUnaligned(fromByteOffset: offset + remaining - 4, as: UInt32.self))
            hash = mix(hash ^ (low | (high >> (8 * UInt64(8 - remaining))) << 32))
        } else if remaining > 0 {
            let first = UInt64(bytes[offset])
            let middle = UInt64(bytes[offset + remaining / 2]) << (8 * UInt64(remaining / 2))
            let last = UInt64(bytes[offset + remaining - 1]) << (8 * UInt64(remaining - 1))
            hash = mix(hash ^ (first | middle | last))
        }
        return hash
    }

    /// The digest of `bytes`.
    static func of(_ bytes: [UInt8], state: UInt64 = seed) -> UInt64 {
        bytes.withUnsafeBytes { of($0, state: state) }
    }

    /// The digest of a string's UTF-8 bytes.
    static func of(_ text: String, state: UInt64 = seed) -> UInt64 {
        finalize(absorb(text, into: state))
    }

    /// ``absorb(_:into:)`` of a string's UTF-8 bytes.
    static func absorb(_ text: String, into state: UInt64 = seed) -> UInt64 {
        if let hash = text.utf8.withContiguousStorageIfAvailable({ absorb(UnsafeRawBufferPointer($0), into: state) }) {
            return hash
        }
        var contiguous = text
        return contiguous.withUTF8 { absorb(UnsafeRawBufferPointer($0), into: state) }
    }

    /// One round: multiply, then fold the high bits down.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = (value &* multiplier)
        return (product ^ (product >> 29)) &* seed
    }

    /// Spreads every input bit over the whole result.
    @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 {
        var hash = value
        hash ^= hash >> 33
        hash &*= multiplier
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }

    /// Sixteen lowercase hexadecimal digits.
    static func hex(_ digest: UInt64) -> String {
        let digits = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
