import Logging
import Switchyard

/// The ticks of one consumer, deduplicated by message id: a plain stream of ``PriceTick`` that any sink
/// (the candle aggregator, the price board, a network gateway) can consume.
///
/// Deliveries come from the consumer in batches, and each batch is acked with one call once the loop
/// asks for the tick after its last one, that is after the loop body has processed all of its ticks. A
/// batch whose loop body was left by `break` or an error stays unacked and is delivered again, so the
/// ticks already processed from it come again too, and are then left out as repeated ids. Repeated ids
/// are left out, as are messages without this run's header or that do not decode; both are counted in
/// the ``DeliveryTally``.
public struct PriceTickStream: AsyncSequence, Sendable {
    public typealias Element = PriceTick
    public typealias Failure = any Error

    /// The header naming the run that published a message.
    public static let runHeader = "demo-run"

    private let consumer: Consumer
    private let topic: Topic<PriceTick>
    private let runID: String?
    private let tally: DeliveryTally
    private let logger: Logger

    /// - Parameters:
    ///   - consumer: the consumer whose deliveries become ticks.
    ///   - topic: the topic whose codec decodes them.
    ///   - runID: when set, only messages whose ``runHeader`` equals it are ticks of this stream.
    ///   - tally: where deliveries, duplicates and latency are counted.
    ///   - logger: where undecodable messages are reported.
    public init(consumer: Consumer, topic: Topic<PriceTick> = PriceTick.topic, runID: String? = nil, tally: DeliveryTally = DeliveryTally(), logger: Logger) {
        self.consumer = consumer
        self.topic = topic
        self.runID = runID
        self.tally = tally
        self.logger = logger
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    /// Yields the next new tick, acking each received batch once all of it was processed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = PriceTick
        public typealias Failure = any Error

        private let stream: PriceTickStream
        private var batch: [Delivery] = []
        private var nextIndex = 0

        init(stream: PriceTickStream) {
            self.stream = stream
        }

        public mutating func next() async throws -> PriceTick? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PriceTick? {
            while true {
                while nextIndex < batch.count {
                    let delivery = batch[nextIndex]
                    nextIndex += 1
                    if let tick = stream.accept(delivery) { return tick }
                }
                if !batch.isEmpty {
                    try await stream.consumer.ack(batch)
                }
                batch = try await stream.nextBatch()
                nextIndex = 0
                if batch.isEmpty { return nil }
            }
        }
    }

    /// The consumer's next batch, bounded by its prefetch; empty once the consumer has closed.
    private func nextBatch() async throws(SwitchyardError) -> [Delivery] {
        do {
            return try await consumer.receive(maxMessages: Swift.min(consumer.options.prefetch, 256))
        } catch where error.code == .consumerClosed {
            return []
        }
    }

    /// The tick a delivery carries, or `nil` for a delivery that is not a new tick of this run.
    private func accept(_ delivery: Delivery) -> PriceTick? {
        let message = delivery.message
        if let runID, message.header(Self.runHeader).flatMap({ String(validating: $0, as: UTF8.self) }) != runID {
            tally.recordSkipped()
            return nil
        }
        let latency = message.publishedAt.map { WallClock.nowMicroseconds() - $0 }
        let tick: PriceTick
        do {
            tick = try delivery.decode(topic)
        } catch {
            logger.warning("Skipped a message that is not a price tick", metadata: ["message-id": "\(message.id)", "error": "\(error)"])
            tally.recordSkipped()
            return nil
        }
        guard tally.recordDelivery(id: message.id, latencyMicroseconds: latency) else { return nil }
        return tick
    }
}
