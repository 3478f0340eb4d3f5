import Logging
import Switchyard

/// Delivers the spool to the secondary in the background: oldest record first, in batches, retrying
/// with exponential backoff (with jitter) until the secondary acknowledges. Once the spool is empty it
/// closes the ``SecondaryBreaker``.
///
/// A batch is marked delivered only after the secondary acknowledged it, so a crash or a failure in the
/// middle sends part of it again: the secondary may see duplicates, with the same ids.
final class SpoolReplayer: Sendable {
    private let spool: DualWriteSpool
    private let link: SecondaryLink
    private let breaker: SecondaryBreaker
    private let metrics: DualWriteMetrics
    private let configuration: DualWriteBackend.Configuration
    private let logger: Logger
    private let lastFailure = LockedValue<String?>(nil)

    init(spool: DualWriteSpool, link: SecondaryLink, breaker: SecondaryBreaker, metrics: DualWriteMetrics, configuration: DualWriteBackend.Configuration, logger: Logger) {
        self.spool = spool
        self.link = link
        self.breaker = breaker
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
    }

    /// The last replay failure since the last success, for the stats.
    var lastError: String? { lastFailure.withLock { $0 } }

    /// Replays until the task is cancelled.
    func run() async {
        var wakeUps = spool.appended.makeAsyncIterator()
        var backoff = configuration.replayBackoff.lowerBound
        while !Task.isCancelled {
            if spool.depth == 0 {
                guard await wakeUps.next() != nil else { return }
                continue
            }
            do throws(SwitchyardError) {
                try await replayOneBatch()
                backoff = configuration.replayBackoff.lowerBound
                lastFailure.withLock { $0 = nil }
            } catch {
                metrics.replayFailures.increment()
                lastFailure.withLock { $0 = "\(error)" }
                if error.code == .producerClosed { link.discard() }
                logger.warning(
                    "Replaying the dual-write spool to the secondary failed; retrying",
                    metadata: ["error": "\(error)", "retryIn": "\(backoff)", "depth": "\(spool.depth)"]
                )
                let jittered = backoff * Double.random(in: 0.5...1.0)
                try? await Task.sleep(for: jittered)
                backoff = min(backoff * 2, configuration.replayBackoff.upperBound)
            }
        }
    }

    /// Sends the next batch, one run of consecutive same-topic records at a time, marking each run
    /// delivered as soon as the secondary acknowledges it.
    private func replayOneBatch() async throws(SwitchyardError) {
        let driver = try await link.connect()
        try await link.ensurePendingTopics()
        let batch = try await spool.readBatch(maxEntries: configuration.replayBatchSize, maxBytes: 16 << 20)
        guard !batch.entries.isEmpty else {
            try await spool.markDelivered(batch)
            return
        }
        var start = 0
        while start < batch.entries.count {
            let topic = batch.entries[start].topic
            var end = start + 1
            while end < batch.entries.count && batch.entries[end].topic == topic { end += 1 }
            _ = try await driver.send(batch.entries[start..<end].map(\.message), to: topic)
            try await spool.markDelivered(batch.slice(start..<end))
            start = end
        }
        // The secondary acknowledges again; once it has everything, copies may go to it directly.
        if spool.depth == 0 { breaker.close() }
    }
}
