import Switchyard
import SwitchyardDemo
import SwitchyardMigration

/// The demo's simulated crypto market as a rehearsal's traffic: each tick, JSON-encoded and keyed by
/// its symbol, with the demo's run header, due at its market time.
struct MarketTraffic: RehearsalTraffic {
    private var simulator: MarketSimulator
    private let topic: Topic<PriceTick>
    private let runHeader: MessageHeader

    /// A market of the `symbols` busiest symbols opening now, published on `topic`.
    init(symbols: Int, seed: UInt64, topic: String) {
        simulator = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(symbols)), seed: seed, startMicroseconds: WallClock.nowMicroseconds())
        self.topic = .json(topic)
        runHeader = MessageHeader(name: PriceTickStream.runHeader, value: MessageID.generate())
    }

    var nextDue: Int64 { simulator.nextTime }

    mutating func next() throws -> Message {
        let tick = simulator.next()
        return try topic.encode(tick, key: tick.symbol, headers: [runHeader])
    }
}
