/// What the dual write did during a comparison run, as its writer reports it. The comparison reads
/// the brokers, not the writer, so these figures come from the writer's own statistics.
public struct DualWriteFigures: Sendable, Hashable, Codable {
    /// Writes to the secondary that failed and went to the spool instead.
    public var secondaryWriteFailures: Int
    /// Copies written to the durable spool.
    public var spooled: Int
    /// Spooled copies since delivered to the secondary.
    public var replayed: Int
    /// Copies still waiting in the spool.
    public var spoolBacklog: Int
    /// How long the oldest waiting copy has waited, in milliseconds; `nil` when the spool is empty.
    public var oldestSpooledAgeMilliseconds: Double?

    public init(
        secondaryWriteFailures: Int,
        spooled: Int,
        replayed: Int,
        spoolBacklog: Int,
        oldestSpooledAgeMilliseconds: Double? = nil
    ) {
        self.secondaryWriteFailures = secondaryWriteFailures
        self.spooled = spooled
        self.replayed = replayed
        self.spoolBacklog = spoolBacklog
        self.oldestSpooledAgeMilliseconds = oldestSpooledAgeMilliseconds
    }
}
