import Switchyard

/// Publishes a ``MarketSimulator``'s ticks in real time: each tick goes out once the wall clock reaches
/// its time, keyed by symbol, with the run's header. Ticks that fall due together go out as one batch.
public struct MarketFeed: Sendable {
    private let producer: Producer
    private let topic: Topic<PriceTick>
    private let runID: String
    private let ledger: PublishLedger

    /// - Parameters:
    ///   - producer: the producer that sends the ticks.
    ///   - topic: the topic the ticks go to.
    ///   - runID: the value of ``PriceTickStream/runHeader`` on every message.
    ///   - ledger: where the ids of acknowledged sends are recorded.
    public init(producer: Producer, topic: Topic<PriceTick> = PriceTick.topic, runID: String, ledger: PublishLedger) {
        self.producer = producer
        self.topic = topic
        self.runID = runID
        self.ledger = ledger
    }

    /// Publishes the simulator's ticks until `endMicroseconds` of wall-clock time, each once its time has
    /// come. Throws when a send fails; the ids of the messages that were acknowledged are in the ledger.
    public func run(_ simulator: MarketSimulator, until endMicroseconds: Int64) async throws {
        var simulator = simulator
        var batch: [Message] = []
        while simulator.nextTime < endMicroseconds {
            let now = WallClock.nowMicroseconds()
            batch.removeAll(keepingCapacity: true)
            while simulator.nextTime <= now, simulator.nextTime < endMicroseconds, batch.count < 1_000 {
                let tick = simulator.next()
                batch.append(try topic.encode(tick, key: tick.symbol, headers: [MessageHeader(name: PriceTickStream.runHeader, value: runID)]))
            }
            if !batch.isEmpty {
                try await send(batch)
                continue
            }
            let wait = Swift.min(simulator.nextTime, endMicroseconds) - now
            try await Task.sleep(for: .microseconds(Swift.max(wait, 100)))
        }
    }

    private func send(_ batch: [Message]) async throws(SwitchyardError) {
        do {
            try await producer.send(batch, to: topic.name)
            ledger.record(batch.lazy.map(\.id))
        } catch {
            if error.code == .partialBatch {
                let unacknowledged = Set(error.unacknowledgedMessageIDs)
                ledger.record(batch.lazy.map(\.id).filter { !unacknowledged.contains($0) })
            }
            throw error
        }
    }
}
