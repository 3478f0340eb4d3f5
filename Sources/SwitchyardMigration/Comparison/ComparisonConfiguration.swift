/// How one shadow comparison run is set up. Every time is in microseconds since the Unix epoch, the
/// unit of `Message.publishedAt`.
public struct ComparisonConfiguration: Sendable, Hashable, Codable {
    /// The topic compared.
    public var topic: String
    /// The backend the primary side reads, such as `rabbitmq`.
    public var primaryBackend: String
    /// The backend the secondary side reads, such as `kafka`.
    public var secondaryBackend: String
    /// How long after one side delivers a message the other side may still deliver it and be on time,
    /// in microseconds.
    public var graceMicroseconds: Int64
    /// Messages published before this time are not expected on both sides (the sides may have started
    /// reading at slightly different instants). `nil`: no lower bound.
    public var windowStart: Int64?
    /// Messages published after this time are not expected on both sides (the run stopped collecting).
    /// `nil`: no upper bound. ``ShadowComparator/closeWindow(at:)`` sets it during a run.
    public var windowEnd: Int64?
    /// What counts as equal.
    public var rules: ComparisonRules
    /// What the verdict checks.
    public var thresholds: ComparisonThresholds
    /// How much the comparison may remember.
    public var limits: ComparisonLimits

    public init(
        topic: String,
        primaryBackend: String,
        secondaryBackend: String,
        graceMicroseconds: Int64 = 5_000_000,
        windowStart: Int64? = nil,
        windowEnd: Int64? = nil,
        rules: ComparisonRules = ComparisonRules(),
        thresholds: ComparisonThresholds = ComparisonThresholds(),
        limits: ComparisonLimits = ComparisonLimits()
    ) {
        self.topic = topic
        self.primaryBackend = primaryBackend
        self.secondaryBackend = secondaryBackend
        self.graceMicroseconds = graceMicroseconds
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.rules = rules
        self.thresholds = thresholds
        self.limits = limits
    }

    /// Whether a message published at `publishedAt` is expected on both sides; a message without a
    /// publish time is.
    func isInWindow(_ publishedAt: Int64?) -> Bool {
        guard let publishedAt else { return true }
        if let windowStart, publishedAt < windowStart { return false }
        if let windowEnd, publishedAt > windowEnd { return false }
        return true
    }
}

/// Bounds on what a comparison keeps in memory, so a run over any number of messages uses a fixed
/// amount of it.
public struct ComparisonLimits: Sendable, Hashable, Codable {
    /// The most messages waiting for their other side at once. Beyond it the oldest is given up on
    /// early and counted missing, and the verdict fails on the overflow; raise it or shorten the grace.
    public var maxPending: Int
    /// How many settled ids (matched, or given up on) are remembered, to recognise a duplicate or a late
    /// copy that arrives after its id left the window. A repeat of an id older than this is taken for
    /// a new message.
    public var settledMemory: Int
    /// The most distinct keys counted and checked for order; later keys are counted together.
    public var maxTrackedKeys: Int
    /// How many of a key's latest deliveries each side keeps to measure an inversion's displacement.
    public var orderHistory: Int
    /// The most examples the report lists per finding; counts are always exact.
    public var maxSamples: Int
    /// The most keys the report lists (those with the most deliveries).
    public var maxReportedKeys: Int
    /// The most bars in the report's timeline; each bar covers a longer span as the run grows.
    public var timelineBins: Int

    public init(
        maxPending: Int = 1_000_000,
        settledMemory: Int = 1 << 20,
        maxTrackedKeys: Int = 65_536,
        orderHistory: Int = 32,
        maxSamples: Int = 100,
        maxReportedKeys: Int = 500,
        timelineBins: Int = 120
    ) {
        self.maxPending = maxPending
        self.settledMemory = settledMemory
        self.maxTrackedKeys = maxTrackedKeys
        self.orderHistory = orderHistory
        self.maxSamples = maxSamples
        self.maxReportedKeys = maxReportedKeys
        self.timelineBins = timelineBins
    }
}
