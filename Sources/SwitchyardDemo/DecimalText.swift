/// Formats numbers for the board without locale or Foundation.
enum DecimalText {
    /// `value` rounded to `decimals` places, e.g. `fixed(3.14159, decimals: 2)` is `3.14`.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (Swift.abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(value) }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = value < 0 && units != 0 ? "-" : ""
        text += String(units / divisor)
        if decimals > 0 {
            let fraction = String(units % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// Microseconds as milliseconds with two decimals and the unit, e.g. `0.41ms`.
    static func milliseconds(_ microseconds: UInt64) -> String {
        fixed(Double(microseconds) / 1000, decimals: 2) + "ms"
    }

    /// `text` right-aligned in `width` columns.
    static func right(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - text.count)) + text
    }

    /// `text` left-aligned in `width` columns.
    static func left(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: Swift.max(0, width - text.count))
    }

    /// The UTC time of day of a timestamp in microseconds since the Unix epoch, as `HH:MM:SS`.
    static func timeOfDay(_ microseconds: Int64) -> String {
        let seconds = (microseconds / 1_000_000) % 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
