/// A snapshot of a ``DualWriteBackend``'s counters and spool, for reports and the CLI.
///
/// The counters start at zero with the backend; the spool figures describe the spool directory now,
/// copies left by an earlier process included. The spool's figures are taken at one instant, and
/// whenever no send is writing to the spool they balance:
/// `spooled + recovered == replayed + unreadable + spoolDepth`.
public struct DualWriteStats: Sendable, Hashable {
    /// Sends the primary acknowledged.
    public var writes: Int
    /// Sends the primary refused; they were reported to the caller as failed.
    public var primaryFailures: Int
    /// Direct copies the secondary failed or timed out on, or that were not waited for because another
    /// copy had; each was spooled unless the primary refused its message too.
    public var secondaryFailures: Int
    /// Copies written to the spool (`fsync`'d): failed copies, and every copy sent while the spool was
    /// not empty or the secondary was known to be failing.
    public var spooled: Int
    /// Spooled copies the secondary has acknowledged since.
    public var replayed: Int
    /// Whether copies go straight to the spool without trying the secondary, because a copy failed or
    /// timed out and the replayer has not delivered the spool since.
    public var secondaryFailing: Bool
    /// Replay attempts that failed and were retried.
    public var replayFailures: Int
    /// Copies in the spool that the secondary has not acknowledged yet.
    public var spoolDepth: Int
    /// Bytes of undelivered records in the spool.
    public var spoolBytes: Int
    /// Undelivered copies an earlier process left in the spool, found when the backend opened it.
    public var recovered: Int
    /// Spooled copies lost in a corrupt stretch of the spool, skipped instead of replayed (see
    /// ``corruptions``).
    public var unreadable: Int
    /// Corrupt or torn stretches found in the spool files since the backend opened it.
    public var corruptions: [SpoolCorruption]
    /// The last replay failure, while replay keeps failing; `nil` after a success.
    public var lastReplayError: String?

    public init(
        writes: Int = 0,
        primaryFailures: Int = 0,
        secondaryFailures: Int = 0,
        spooled: Int = 0,
        replayed: Int = 0,
        secondaryFailing: Bool = false,
        replayFailures: Int = 0,
        spoolDepth: Int = 0,
        spoolBytes: Int = 0,
        recovered: Int = 0,
        unreadable: Int = 0,
        corruptions: [SpoolCorruption] = [],
        lastReplayError: String? = nil
    ) {
        self.writes = writes
        self.primaryFailures = primaryFailures
        self.secondaryFailures = secondaryFailures
        self.spooled = spooled
        self.replayed = replayed
        self.secondaryFailing = secondaryFailing
        self.replayFailures = replayFailures
        self.spoolDepth = spoolDepth
        self.spoolBytes = spoolBytes
        self.recovered = recovered
        self.unreadable = unreadable
        self.corruptions = corruptions
        self.lastReplayError = lastReplayError
    }
}
