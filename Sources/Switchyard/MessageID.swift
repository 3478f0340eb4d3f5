import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates message ids: UUIDv7 strings (RFC 9562) in lowercase canonical form.
///
/// The first 48 bits are the Unix time in milliseconds. The remaining 74 bits come from a per-process
/// random value and a process-wide counter, so ids are unique within a process without a system call
/// per id, and unique across processes with overwhelming probability.
public enum MessageID {
    private static let processRandom: UInt64 = UInt64.random(in: 0...UInt64.max)
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64(UInt32.max)))

    /// Returns a new UUIDv7 string.
    public static func generate() -> String {
        let millis = UInt64(WallClock.nowMicroseconds() / 1000)
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // rand_a: 12 bits of the counter; rand_b: 30 random bits then 32 counter bits.
        let high = (millis << 16) | 0x7000 | ((sequence >> 32) & 0x0FFF)
        let low = 0x8000_0000_0000_0000 | ((processRandom & 0x3FFF_FFFF) << 32) | (sequence & 0xFFFF_FFFF)
        return format(high: high, low: low)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func format(high: UInt64, low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                var shift = (nibbles - 1) * 4
                while shift >= 0 {
                    buffer[index] = hexDigits[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                    shift -= 4
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return index
        }
    }
}

/// Reads the wall clock, which is what ``Message/publishedAt`` and end-to-end latency are measured in.
public enum WallClock {
    /// Microseconds since the Unix epoch.
    public static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
