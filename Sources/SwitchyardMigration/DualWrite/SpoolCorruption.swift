/// A stretch of a spool file that did not hold intact records: a torn tail left by a crash mid-append, or
/// bytes changed on disk. It is reported, counted and kept, never silently dropped.
public struct SpoolCorruption: Sendable, Hashable, CustomStringConvertible {
    /// The spool file it was found in.
    public let file: String
    /// Where the bad bytes start.
    public let offset: Int
    /// How many bytes are bad.
    public let length: Int
    /// What was wrong, such as a checksum mismatch or a record cut short.
    public let reason: String
    /// Where the bad bytes were copied before the spool was rewritten without them, if they were.
    public let quarantinedTo: String?

    public init(file: String, offset: Int, length: Int, reason: String, quarantinedTo: String? = nil) {
        self.file = file
        self.offset = offset
        self.length = length
        self.reason = reason
        self.quarantinedTo = quarantinedTo
    }

    public var description: String {
        "\(length) bytes at offset \(offset) of \(file): \(reason)" + (quarantinedTo.map { "; kept in \($0)" } ?? "")
    }
}
