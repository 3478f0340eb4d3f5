import Testing

@testable import SwitchyardDemo

@Suite struct MarketSimulatorTests {
    private let start: Int64 = 1_700_000_000 * 1_000_000

    @Test func aRandomWalkStaysPositiveAtHighVolatility() {
        var random = SeededRandom(seed: 7)
        var walk = RandomWalk(price: 0.0001, dailyVolatility: 2.0)
        var lowest = Double.infinity
        for _ in 0..<1_000_000 {
            lowest = min(lowest, walk.step(seconds: 1, using: &random))
        }
        #expect(lowest > 0)
        #expect(walk.price.isFinite)
    }

    @Test func theSameSeedGivesTheSameTicks() {
        var first = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(8)), seed: 42, startMicroseconds: start)
        var second = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(8)), seed: 42, startMicroseconds: start)
        let a = (0..<5_000).map { _ in first.next() }
        let b = (0..<5_000).map { _ in second.next() }
        #expect(a == b)
    }

    @Test func anotherSeedGivesOtherTicks() {
        var first = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(3)), seed: 1, startMicroseconds: start)
        var second = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(3)), seed: 2, startMicroseconds: start)
        #expect((0..<100).map { _ in first.next() } != (0..<100).map { _ in second.next() })
    }

    @Test func ticksComeInTimeOrderWithGaplessSequencesPerSymbol() {
        var simulator = MarketSimulator(symbols: Array(MarketSymbol.catalog.prefix(6)), seed: 3, startMicroseconds: start)
        var lastTime = start
        var sequences: [String: Int64] = [:]
        for _ in 0..<10_000 {
            let upcoming = simulator.nextTime
            let tick = simulator.next()
            #expect(tick.time == upcoming)
            #expect(tick.time >= lastTime)
            #expect(tick.sequence == (sequences[tick.symbol] ?? 0) + 1)
            #expect(tick.price > 0 && tick.size > 0)
            lastTime = tick.time
            sequences[tick.symbol] = tick.sequence
        }
    }

    @Test func eachSymbolTicksAtItsOwnRate() {
        let symbols = Array(MarketSymbol.catalog.prefix(8))
        var simulator = MarketSimulator(symbols: symbols, seed: 11, startMicroseconds: start)
        let seconds: Int64 = 120
        var counts: [String: Int] = [:]
        while simulator.nextTime < start + seconds * 1_000_000 {
            counts[simulator.next().symbol, default: 0] += 1
        }
        for symbol in symbols {
            let rate = Double(counts[symbol.name] ?? 0) / Double(seconds)
            #expect(abs(rate - symbol.ticksPerSecond) < symbol.ticksPerSecond * 0.15 + 0.5, "\(symbol.name): \(rate)/s")
        }
        #expect((counts["BTC-USD"] ?? 0) > 10 * (counts["ADA-USD"] ?? 0))
    }

    @Test func pricesMoveByRoughlyTheirVolatility() {
        var random = SeededRandom(seed: 5)
        var returns: [Double] = []
        for _ in 0..<2_000 {
            var walk = RandomWalk(price: 100, dailyVolatility: 0.03)
            returns.append(walk.step(seconds: 86_400, using: &random) / 100 - 1)
        }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let deviation = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count)).squareRoot()
        #expect(abs(deviation - 0.03) < 0.003)
    }
}
