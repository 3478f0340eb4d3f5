import Logging
import Switchyard

/// Reads a consumer in batches for the migration tools (a side of a shadow comparison, the rehearsal's
/// application), handing each batch's messages on and acking the batch with one call.
package struct AckingBatchReader: Sendable {
    package let consumer: Consumer
    /// What the reader reads, for its log lines, such as a comparison side's name.
    package let label: String
    /// The most deliveries taken from the consumer at once.
    package let batchSize: Int
    package let logger: Logger

    package init(consumer: Consumer, label: String, batchSize: Int, logger: Logger) {
        self.consumer = consumer
        self.label = label
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Passes each batch's messages to `observe`, then acks them, until the consumer is closed, its
    /// deliveries end, or the calling task is cancelled.
    ///
    /// A receive that fails with a retriable error is tried again 100 ms later. Each batch is acked at
    /// once; a failed ack is only logged: its deliveries come again, as duplicates that the callers
    /// count or deduplicate by id.
    ///
    /// - Throws: the error of a receive that failed for good.
    package func run(observe: ([Message]) -> Void) async throws(SwitchyardError) {
        while !Task.isCancelled, let batch = try await nextBatch() {
            observe(batch.map(\.message))
            do {
                try await consumer.ack(batch)
            } catch {
                logger.debug("A reader's batch ack failed; its messages will come again", metadata: ["reader": "\(label)", "error": "\(error)"])
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
                logger.debug("A reader failed to receive; retrying", metadata: ["reader": "\(label)", "error": "\(error)"])
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return nil }
            }
        }
    }
}
