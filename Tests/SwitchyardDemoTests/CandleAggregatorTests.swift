import Testing

@testable import SwitchyardDemo

@Suite struct CandleAggregatorTests {
    private let second: Int64 = 1_000_000
    private let base: Int64 = 1_700_000_000 * 1_000_000

    private func tick(_ symbol: String, _ price: Double, size: Double = 1, at offset: Int64) -> PriceTick {
        PriceTick(symbol: symbol, price: price, size: size, time: base + offset, sequence: 1)
    }

    private func tick(_ price: Double, size: Double = 1, at offset: Int64) -> PriceTick {
        tick("BTC-USD", price, size: size, at: offset)
    }

    @Test func aCandleHoldsTheOpenHighLowCloseAndVolumeOfItsSecond() {
        var aggregator = CandleAggregator()
        #expect(aggregator.add(tick(10, size: 1, at: 0)) == nil)
        #expect(aggregator.add(tick(12, size: 2, at: 200_000)) == nil)
        #expect(aggregator.add(tick(9, size: 3, at: 500_000)) == nil)
        #expect(aggregator.add(tick(11, size: 4, at: second - 1)) == nil)

        let closed = aggregator.add(tick(13, size: 5, at: second))

        #expect(closed == Candle(symbol: "BTC-USD", start: base, open: 10, high: 12, low: 9, close: 11, volume: 10, trades: 4))
        #expect(aggregator.closeAll() == [Candle(symbol: "BTC-USD", start: base + second, open: 13, high: 13, low: 13, close: 13, volume: 5, trades: 1)])
    }

    @Test func bucketsAreAlignedToWholeSecondsOfTheEpoch() {
        var aggregator = CandleAggregator()
        _ = aggregator.add(tick(1, at: 1_750_000))
        let closed = aggregator.add(tick(2, at: 2_000_000))
        #expect(closed?.start == base + second)
        #expect(aggregator.closeAll().first?.start == base + 2 * second)
    }

    @Test func symbolsAreAggregatedSeparately() {
        var aggregator = CandleAggregator()
        _ = aggregator.add(tick("BTC-USD", 100, at: 0))
        _ = aggregator.add(tick("ETH-USD", 5, at: 100))
        _ = aggregator.add(tick("BTC-USD", 101, at: 200))

        let closedByEth = aggregator.add(tick("ETH-USD", 6, at: second + 1))

        #expect(closedByEth == Candle(symbol: "ETH-USD", start: base, open: 5, high: 5, low: 5, close: 5, volume: 1, trades: 1))
        let open = aggregator.closeAll()
        #expect(open.map(\.symbol) == ["BTC-USD", "ETH-USD"])
        #expect(open[0] == Candle(symbol: "BTC-USD", start: base, open: 100, high: 101, low: 100, close: 101, volume: 2, trades: 2))
    }

    @Test func aTickOlderThanTheOpenCandleIsCountedAndLeftOut() {
        var aggregator = CandleAggregator()
        _ = aggregator.add(tick(10, at: 0))
        _ = aggregator.add(tick(11, at: second))

        #expect(aggregator.add(tick(99, at: 500_000)) == nil)

        #expect(aggregator.lateTicks == 1)
        #expect(aggregator.closeAll() == [Candle(symbol: "BTC-USD", start: base + second, open: 11, high: 11, low: 11, close: 11, volume: 1, trades: 1)])
    }

    @Test func aGapOfSeveralSecondsClosesOnlyTheLastCandle() {
        var aggregator = CandleAggregator()
        _ = aggregator.add(tick(10, at: 0))
        let closed = aggregator.add(tick(20, at: 5 * second + 3))
        #expect(closed?.start == base)
        #expect(closed?.close == 10)
        #expect(aggregator.closeAll().first?.start == base + 5 * second)
    }
}
