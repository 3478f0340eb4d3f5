#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The conversions of `Duration` that Switchyard's modules need, in one place.
///
/// Each one truncates toward zero where it returns a whole number, so a sub-unit remainder is dropped,
/// never rounded up.
extension Duration {
    /// The duration in seconds, with its fraction.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in milliseconds, with its fraction.
    package var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e3 + Double(attoseconds) / 1e15
    }

    /// The whole milliseconds in the duration.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// The whole milliseconds in the duration, at least 1 and at most `Int32.max`: a timeout for a C
    /// call or a client library's property, where 0 would mean "do not wait" or "no limit".
    package var timeoutMilliseconds: Int32 {
        Int32(clamping: Swift.max(1, wholeMilliseconds))
    }

    /// The whole microseconds in the duration.
    package var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

extension timeval {
    /// The duration as a `timeval`, for C calls that take one (microsecond resolution).
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

extension timespec {
    /// The duration as a `timespec`, for C calls that take one (nanosecond resolution).
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    }
}
