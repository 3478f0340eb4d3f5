/// A simulated market: where its price starts, how much it moves and how often it trades.
public struct MarketSymbol: Sendable, Hashable {
    /// The market name, which is also the message key, e.g. `BTC-USD`.
    public var name: String
    /// The first price.
    public var startPrice: Double
    /// The standard deviation of the daily log return.
    public var dailyVolatility: Double
    /// The average number of trades per second.
    public var ticksPerSecond: Double
    /// The average trade size in the base currency.
    public var meanTradeSize: Double
    /// How many decimals a price is shown with.
    public var priceDecimals: Int

    public init(name: String, startPrice: Double, dailyVolatility: Double, ticksPerSecond: Double, meanTradeSize: Double, priceDecimals: Int) {
        self.name = name
        self.startPrice = startPrice
        self.dailyVolatility = dailyVolatility
        self.ticksPerSecond = ticksPerSecond
        self.meanTradeSize = meanTradeSize
        self.priceDecimals = priceDecimals
    }

    /// The simulated markets, busiest first: the first `n` of them are what a demo with `n` symbols
    /// trades.
    public static let catalog: [MarketSymbol] = [
        MarketSymbol(name: "BTC-USD", startPrice: 67_250, dailyVolatility: 0.030, ticksPerSecond: 120, meanTradeSize: 0.05, priceDecimals: 2),
        MarketSymbol(name: "ETH-USD", startPrice: 3_480, dailyVolatility: 0.038, ticksPerSecond: 80, meanTradeSize: 0.8, priceDecimals: 2),
        MarketSymbol(name: "SOL-USD", startPrice: 152, dailyVolatility: 0.055, ticksPerSecond: 40, meanTradeSize: 12, priceDecimals: 3),
        MarketSymbol(name: "XRP-USD", startPrice: 0.52, dailyVolatility: 0.045, ticksPerSecond: 25, meanTradeSize: 2_500, priceDecimals: 5),
        MarketSymbol(name: "DOGE-USD", startPrice: 0.16, dailyVolatility: 0.065, ticksPerSecond: 15, meanTradeSize: 15_000, priceDecimals: 5),
        MarketSymbol(name: "ADA-USD", startPrice: 0.45, dailyVolatility: 0.050, ticksPerSecond: 8, meanTradeSize: 3_000, priceDecimals: 5),
        MarketSymbol(name: "AVAX-USD", startPrice: 35, dailyVolatility: 0.060, ticksPerSecond: 6, meanTradeSize: 25, priceDecimals: 3),
        MarketSymbol(name: "LINK-USD", startPrice: 14.2, dailyVolatility: 0.055, ticksPerSecond: 5, meanTradeSize: 60, priceDecimals: 3),
        MarketSymbol(name: "DOT-USD", startPrice: 7.1, dailyVolatility: 0.050, ticksPerSecond: 4, meanTradeSize: 110, priceDecimals: 3),
        MarketSymbol(name: "LTC-USD", startPrice: 82, dailyVolatility: 0.042, ticksPerSecond: 4, meanTradeSize: 6, priceDecimals: 2),
        MarketSymbol(name: "BCH-USD", startPrice: 455, dailyVolatility: 0.048, ticksPerSecond: 3, meanTradeSize: 1.2, priceDecimals: 2),
        MarketSymbol(name: "ATOM-USD", startPrice: 8.4, dailyVolatility: 0.052, ticksPerSecond: 2.5, meanTradeSize: 85, priceDecimals: 3),
        MarketSymbol(name: "UNI-USD", startPrice: 9.3, dailyVolatility: 0.060, ticksPerSecond: 2, meanTradeSize: 90, priceDecimals: 3),
        MarketSymbol(name: "XLM-USD", startPrice: 0.11, dailyVolatility: 0.048, ticksPerSecond: 2, meanTradeSize: 9_000, priceDecimals: 5),
        MarketSymbol(name: "NEAR-USD", startPrice: 6.2, dailyVolatility: 0.062, ticksPerSecond: 2, meanTradeSize: 120, priceDecimals: 3),
        MarketSymbol(name: "ETC-USD", startPrice: 26, dailyVolatility: 0.050, ticksPerSecond: 1.5, meanTradeSize: 20, priceDecimals: 3),
    ]
}
