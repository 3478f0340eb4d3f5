import Logging
import Switchyard
import Synchronization

/// A backend that writes to two brokers and reads from one of them: the migration backend.
///
/// **Sends.** Every send goes to the ``primary``, and a copy with the same id, key, payload, headers and
/// `publishedAt` goes to the ``secondary``. A send succeeds when the primary acknowledged it and the
/// copy is either acknowledged by the secondary or stored in the durable spool (`fsync`'d); a send the
/// primary refuses fails as it would on the primary alone. While the spool is empty the copy runs
/// concurrently with the primary send, and the send waits for it at most
/// ``Configuration/secondarySendTimeout`` after it started. The first copy that fails or times out
/// marks the secondary as failing: sends still waiting for their copies stop waiting and spool them,
/// and later copies go straight to the spool until the replayer has delivered it, so an outage holds
/// sends up for one timeout at most, not one each. While the spool holds copies, new copies queue
/// behind them, so the secondary receives one producer's messages in send order.
///
/// **The spool.** Copies the secondary did not acknowledge are appended to CRC-framed files in
/// ``Configuration/spoolDirectory`` and replayed in the background, oldest first, with backoff, until
/// the secondary acknowledges them. The spool survives a crash (even SIGKILL) and is replayed when the
/// backend is created again on the same directory. A torn or corrupt stretch is reported in
/// ``stats()``, logged, counted and copied to a quarantine file, never silently dropped.
///
/// **At least once, not exactly once.** The secondary can receive a copy twice: when a replay batch is
/// retried after a partial failure or a crash, or when a copy that timed out did arrive. When the
/// primary refuses a send, the concurrent copy may already be on the secondary; resending with the same
/// id repairs both sides. Ids are identical on both sides, so consumers and the comparison deduplicate.
/// A process that dies after the primary acknowledged but before `send` returned may leave the copy
/// missing; that send was never reported as successful, so an at-least-once caller resends it.
///
/// **Reads.** Consumers read from ``Configuration/readFrom``, so cutting over or rolling back is a
/// configuration change. The capabilities are those of the read side, except that topics are created
/// on demand only when both sides do it. The limits are the stricter of the two sides, so a message one
/// side would refuse is refused before either sees it.
///
/// **Closing.** ``shutdown()`` keeps replaying for at most ``Configuration/shutdownDrainTimeout``;
/// what is still undelivered stays in the spool for the next start.
public final class DualWriteBackend: MessagingBackend {
    /// Which side consumers read from.
    public enum Side: String, Sendable, Hashable, CaseIterable {
        case primary
        case secondary
    }

    /// How the backend writes, spools and replays.
    public struct Configuration: Sendable, Hashable {
        /// The spool directory. It must be on a local disk and used by one process at a time.
        public var spoolDirectory: String
        /// The side consumers read from.
        public var readFrom: Side
        /// The longest a send waits for the secondary's acknowledgement before spooling the copy.
        public var secondarySendTimeout: Duration
        /// The most spooled records replayed in one batch.
        public var replayBatchSize: Int
        /// The first and the longest pause between failed replay attempts; pauses double in between.
        public var replayBackoff: ClosedRange<Duration>
        /// How long ``DualWriteBackend/shutdown()`` keeps replaying before it leaves the rest in the spool.
        public var shutdownDrainTimeout: Duration

        public init(
            spoolDirectory: String,
            readFrom: Side = .primary,
            secondarySendTimeout: Duration = .seconds(5),
            replayBatchSize: Int = 500,
            replayBackoff: ClosedRange<Duration> = .milliseconds(100)...(.seconds(30)),
            shutdownDrainTimeout: Duration = .seconds(5)
        ) {
            self.spoolDirectory = spoolDirectory
            self.readFrom = readFrom
            self.secondarySendTimeout = secondarySendTimeout
            self.replayBatchSize = replayBatchSize
            self.replayBackoff = replayBackoff
            self.shutdownDrainTimeout = shutdownDrainTimeout
        }
    }

    /// The side that must acknowledge every send.
    public let primary: any MessagingBackend
    /// The side that receives copies, directly or through the spool.
    public let secondary: any MessagingBackend
    public let configuration: Configuration
    public var name: String { "dual" }
    public let capabilities: BackendCapabilities
    public let limits: BackendLimits

    private let spool: DualWriteSpool
    private let link: SecondaryLink
    private let breaker: SecondaryBreaker
    private let replayer: SpoolReplayer
    private let replayTask: Task<Void, Never>
    private let metrics: DualWriteMetrics
    private let logger: Logger
    private let isShutDown = Atomic<Bool>(false)

    /// Opens the spool, recovering what an earlier process left in it, and starts replaying it.
    ///
    /// - Throws: `SwitchyardError.Code.invalidConfiguration` for an empty spool directory, a spool
    ///   another process holds, a replay batch size under 1, or a primary and secondary that are one and
    ///   the same backend object; an I/O error when the spool directory cannot be created or read.
    public init(
        primary: any MessagingBackend,
        secondary: any MessagingBackend,
        configuration: Configuration,
        logger: Logger = Logger(label: "switchyard.dual", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(SwitchyardError) {
        guard configuration.replayBatchSize >= 1 else {
            throw SwitchyardError(.invalidConfiguration, "The dual-write replay batch size is \(configuration.replayBatchSize); it must be at least 1.")
        }
        if (primary as AnyObject) === (secondary as AnyObject) {
            throw SwitchyardError(.invalidConfiguration, "The dual-write primary and secondary are the same \(primary.name) backend. Give the secondary a broker of its own.")
        }
        let metrics = DualWriteMetrics(primary: primary.name, secondary: secondary.name)
        let spool = try await DualWriteSpool.open(directory: configuration.spoolDirectory, metrics: metrics, logger: logger)
        let link = SecondaryLink(backend: secondary, options: ProducerOptions(sendTimeout: configuration.secondarySendTimeout), logger: logger)
        let breaker = SecondaryBreaker()
        let replayer = SpoolReplayer(spool: spool, link: link, breaker: breaker, metrics: metrics, configuration: configuration, logger: logger)
        self.primary = primary
        self.secondary = secondary
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.spool = spool
        self.link = link
        self.breaker = breaker
        self.replayer = replayer
        let readSide = configuration.readFrom == .primary ? primary : secondary
        var capabilities = readSide.capabilities
        if !(primary.capabilities.contains(.autoCreateTopics) && secondary.capabilities.contains(.autoCreateTopics)) {
            capabilities.remove(.autoCreateTopics)
        }
        self.capabilities = capabilities
        self.limits = primary.limits.maxMessageBytes <= secondary.limits.maxMessageBytes ? primary.limits : secondary.limits
        self.replayTask = Task { await replayer.run() }
    }

    /// The counters and the spool's state now. The spool's figures are taken at one instant; whenever no
    /// send is writing to the spool they balance: `spooled + recovered == replayed + unreadable + spoolDepth`.
    public func stats() -> DualWriteStats {
        let spool = spool.snapshot()
        return DualWriteStats(
            writes: metrics.writes.value,
            primaryFailures: metrics.primaryFailures.value,
            secondaryFailures: metrics.secondaryFailures.value,
            spooled: spool.spooled,
            replayed: spool.replayed,
            secondaryFailing: breaker.isOpen,
            replayFailures: metrics.replayFailures.value,
            spoolDepth: spool.depth,
            spoolBytes: spool.bytes,
            recovered: spool.recovered,
            unreadable: spool.unreadable,
            corruptions: spool.corruptions,
            lastReplayError: replayer.lastError
        )
    }

    /// Creates the topic on both sides. The primary must succeed. When the secondary fails with a
    /// retriable error (it is down), the topic is remembered and created before the next replay, and
    /// copies go to the spool meanwhile; any other secondary error is thrown.
    public func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        try await primary.ensureTopic(spec)
        do {
            try await secondary.ensureTopic(spec)
        } catch where error.isRetriable {
            link.remember(spec)
            logger.warning(
                "The dual-write secondary could not create the topic yet; it is created before the spool is replayed",
                metadata: ["topic": "\(spec.name)", "secondary": "\(secondary.name)", "error": "\(error)"]
            )
        } catch {
            throw SwitchyardError(
                error.code,
                "The dual-write secondary (\(secondary.name)) refused topic '\(spec.name)': \(error.message)",
                isRetriable: error.isRetriable
            )
        }
    }

    /// A producer on the primary that copies every message to the secondary. When the secondary is down,
    /// the producer is still made and its copies are spooled.
    public func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        let primaryDriver = try await primary.makeProducerDriver(options: options, logger: logger)
        if link.driver == nil {
            do {
                _ = try await link.connect()
            } catch {
                logger.warning(
                    "The dual-write secondary is not reachable; copies go to the spool until it is",
                    metadata: ["secondary": "\(secondary.name)", "error": "\(error)"]
                )
            }
        }
        return DualWriteProducerDriver(
            primary: primaryDriver,
            link: link,
            spool: spool,
            breaker: breaker,
            secondarySendTimeout: configuration.secondarySendTimeout,
            metrics: metrics,
            logger: logger
        )
    }

    /// A consumer on the ``Configuration/readFrom`` side.
    public func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        let readSide = configuration.readFrom == .primary ? primary : secondary
        return try await readSide.makeConsumerDriver(topic: topic, options: options, logger: logger)
    }

    /// Replays the spool for at most ``Configuration/shutdownDrainTimeout``, stops the replayer, closes
    /// the spool (what is undelivered stays in it) and shuts both sides down. Later calls do nothing.
    public func shutdown() async throws(SwitchyardError) {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let deadline = ContinuousClock.now + configuration.shutdownDrainTimeout
        while spool.depth > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        replayTask.cancel()
        await replayTask.value
        let left = spool.depth
        if left > 0 {
            logger.warning(
                "Shutting down with copies the secondary has not acknowledged; they stay in the spool and are replayed on the next start",
                metadata: ["depth": "\(left)", "spool": "\(configuration.spoolDirectory)"]
            )
        }
        var firstError: SwitchyardError?
        do { try await link.close() } catch { firstError = error }
        await spool.close()
        do { try await primary.shutdown() } catch { firstError = firstError ?? error }
        do { try await secondary.shutdown() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }
}
