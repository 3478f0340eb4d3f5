/// A simulated market feed: the trades of several symbols, in time order.
///
/// Each symbol trades as a Poisson process at its own rate, and its price follows a ``RandomWalk``.
/// The same symbols, seed and start time give the same ticks, so a run can be replayed and tested.
public struct MarketSimulator: Sendable {
    /// The symbols being traded.
    public let symbols: [MarketSymbol]
    private var walks: [RandomWalk]
    private var nextTimes: [Int64]
    private var lastTimes: [Int64]
    private var sequences: [Int64]
    private var random: SeededRandom

    /// - Parameters:
    ///   - symbols: the markets to simulate.
    ///   - seed: the seed of the random walks; the same seed gives the same ticks.
    ///   - startMicroseconds: the simulated time the market opens, in microseconds since the Unix
    ///     epoch; the first ticks come shortly after it.
    public init(symbols: [MarketSymbol], seed: UInt64, startMicroseconds: Int64) {
        precondition(!symbols.isEmpty, "a market needs at least one symbol")
        self.symbols = symbols
        self.walks = symbols.map { RandomWalk(price: $0.startPrice, dailyVolatility: $0.dailyVolatility) }
        self.lastTimes = Array(repeating: startMicroseconds, count: symbols.count)
        self.sequences = Array(repeating: 0, count: symbols.count)
        self.random = SeededRandom(seed: seed)
        self.nextTimes = []
        for symbol in symbols {
            nextTimes.append(startMicroseconds + gap(for: symbol))
        }
    }

    /// The time of the next tick, in microseconds since the Unix epoch.
    public var nextTime: Int64 {
        nextTimes.min() ?? Int64.max
    }

    /// The next trade across all symbols: none comes earlier.
    public mutating func next() -> PriceTick {
        var index = 0
        for candidate in nextTimes.indices where nextTimes[candidate] < nextTimes[index] {
            index = candidate
        }
        let symbol = symbols[index]
        let time = nextTimes[index]
        let price = walks[index].step(seconds: Double(time - lastTimes[index]) / 1_000_000, using: &random)
        let size = random.nextExponential(mean: symbol.meanTradeSize)
        sequences[index] += 1
        lastTimes[index] = time
        nextTimes[index] = time + gap(for: symbol)
        return PriceTick(symbol: symbol.name, price: price, size: size, time: time, sequence: sequences[index])
    }

    private mutating func gap(for symbol: MarketSymbol) -> Int64 {
        let micros = random.nextExponential(mean: 1_000_000 / symbol.ticksPerSecond)
        return Swift.max(1, Int64(micros.rounded()))
    }
}
