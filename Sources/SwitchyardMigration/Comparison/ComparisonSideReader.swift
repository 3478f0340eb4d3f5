import Logging
import Switchyard

/// Reads one side of a shadow comparison: a consumer reading that side's broker directly (never
/// through the dual-write backend), whose deliveries are handed to the comparison and acked.
package struct ComparisonSideReader: Sendable {
    package let consumer: Consumer
    package let side: ComparisonSide
    /// The most deliveries taken from the consumer at once.
    package let batchSize: Int
    package let logger: Logger

    package init(consumer: Consumer, side: ComparisonSide, batchSize: Int, logger: Logger) {
        self.consumer = consumer
        self.side = side
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Passes each batch's messages to `observe`, then acks them, until the consumer is closed, its
    /// deliveries end, or the calling task is cancelled.
    ///
    /// A receive that fails with a retriable error is tried again 100 ms later. Each batch is acked at
    /// once; a failed ack is only logged: its deliveries come again, and the comparison counts them as
    /// duplicates.
    ///
    /// - Throws: the error of a receive that failed for good.
    package func run(observe: ([Message]) -> Void) async throws(SwitchyardError) {
        while !Task.isCancelled, let batch = try await nextBatch() {
            observe(batch.map(\.message))
            do {
                try await consumer.ack(batch)
            } catch {
                logger.debug("A comparison reader's batch ack failed", metadata: ["side": "\(side.rawValue)", "error": "\(error)"])
            }
        }
    }

    /// The next batch of deliveries, or `nil` once the reader should stop: the consumer closed, or the
    /// calling task was cancelled. Retriable receive failures are retried after 100 ms.
    private func nextBatch() async throws(SwitchyardError) -> [Delivery]? {
        while true {
            do {
                let batch = try await consumer.receive(maxMessages: batchSize)
                return batch.isEmpty ? nil : batch
            } catch where error.code == .cancelled || error.code == .consumerClosed {
                return nil
            } catch where error.isRetriable {
                logger.debug("A comparison reader failed to receive; retrying", metadata: ["side": "\(side.rawValue)", "error": "\(error)"])
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return nil }
            }
        }
    }
}
