import Testing

@testable import SwitchyardDemo

@Suite struct PriceBoardTests {
    @Test func theBoardKeepsTheLatestPriceAndTheSessionRange() {
        var board = PriceBoard(symbols: ["ETH-USD", "BTC-USD"])
        board.update(PriceTick(symbol: "BTC-USD", price: 100, size: 1, time: 10, sequence: 1))
        board.update(PriceTick(symbol: "BTC-USD", price: 110, size: 1, time: 20, sequence: 2))
        board.update(PriceTick(symbol: "BTC-USD", price: 90, size: 1, time: 15, sequence: 3))
        board.update(PriceTick(symbol: "ETH-USD", price: 5, size: 1, time: 30, sequence: 1))

        let btc = board["BTC-USD"]
        #expect(btc?.last == 110)
        #expect(btc?.high == 110)
        #expect(btc?.low == 90)
        #expect(btc?.trades == 3)
        #expect(btc.map { abs($0.changePercent - 10) < 1e-9 } == true)
        #expect(board.allRows.map(\.symbol) == ["ETH-USD", "BTC-USD"])
    }

    @Test func numbersAreFormattedWithFixedDecimals() {
        #expect(DecimalText.fixed(67_250.456, decimals: 2) == "67250.46")
        #expect(DecimalText.fixed(0.000051, decimals: 5) == "0.00005")
        #expect(DecimalText.fixed(-1.5, decimals: 0) == "-2")
        #expect(DecimalText.fixed(3, decimals: 3) == "3.000")
        #expect(DecimalText.milliseconds(410) == "0.41ms")
        #expect(DecimalText.timeOfDay(1_700_000_000 * 1_000_000 + 1) == "22:13:20")
    }
}
