import Logging
import Switchyard

/// The ticks of one consumer, deduplicated by message id: a plain stream of ``PriceTick`` that any sink
/// (the candle aggregator, the price board, a network gateway) can consume.
///
/// A tick is acked when the loop asks for the next one, that is after the loop body has processed it;
/// a tick whose loop body was left by `break` or an error stays unacked and is delivered again. Repeated
/// ids are acked and left out, as are messages without this run's header or that do not decode; both
/// are counted in the ``DeliveryTally``.
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
        AsyncIterator(stream: self, deliveries: consumer.makeAsyncIterator())
    }

    /// Yields the next new tick, after acking the one before.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = PriceTick
        public typealias Failure = any Error

        private let stream: PriceTickStream
        private var deliveries: Consumer.AsyncIterator
        private var processed: Delivery?

        init(stream: PriceTickStream, deliveries: Consumer.AsyncIterator) {
            self.stream = stream
            self.deliveries = deliveries
        }

        public mutating func next() async throws -> PriceTick? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> PriceTick? {
            if let processed {
                self.processed = nil
                try await processed.ack()
            }
            while let delivery = try await deliveries.next(isolation: actor) {
                if let tick = try await stream.accept(delivery) {
                    processed = delivery
                    return tick
                }
            }
            return nil
        }
    }

    /// The tick a delivery carries, or `nil` after acking a delivery that is not a new tick of this run.
    private func accept(_ delivery: Delivery) async throws -> PriceTick? {
        let message = delivery.message
        if let runID, message.header(Self.runHeader).flatMap({ String(validating: $0, as: UTF8.self) }) != runID {
            tally.recordSkipped()
            try await delivery.ack()
            return nil
        }
        let latency = message.publishedAt.map { WallClock.nowMicroseconds() - $0 }
        let tick: PriceTick
        do {
            tick = try delivery.decode(topic)
        } catch {
            logger.warning("Skipped a message that is not a price tick", metadata: ["message-id": "\(message.id)", "error": "\(error)"])
            tally.recordSkipped()
            try await delivery.ack()
            return nil
        }
        guard tally.recordDelivery(id: message.id, latencyMicroseconds: latency) else {
            try await delivery.ack()
            return nil
        }
        return tick
    }
}
