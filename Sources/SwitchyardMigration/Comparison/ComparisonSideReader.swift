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
    /// A receive that fails with a retriable error is tried again 100 ms later. A failed ack is only
    /// logged: the delivery comes again, and the comparison counts it as a duplicate.
    ///
    /// - Throws: the error of a receive that failed for good.
    package func run(observe: ([Message]) -> Void) async throws {
        while !Task.isCancelled {
            let batch: [Delivery]
            do {
                batch = try await consumer.receive(maxMessages: batchSize)
            } catch is CancellationError {
                return
            } catch let error as SwitchyardError where error.code == .consumerClosed {
                return
            } catch let error as SwitchyardError where error.isRetriable {
                logger.debug("A comparison reader failed to receive; retrying", metadata: ["side": "\(side.rawValue)", "error": "\(error)"])
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
                continue
            }
            if batch.isEmpty { return }
            observe(batch.map(\.message))
            for delivery in batch {
                do {
                    try await delivery.ack()
                } catch {
                    logger.debug("A comparison reader's ack failed", metadata: ["side": "\(side.rawValue)", "error": "\(error)"])
                }
            }
        }
    }
}
