/// The trades of one symbol over one interval: open, high, low, close and volume (OHLCV).
public struct Candle: Sendable, Hashable {
    /// The market.
    public var symbol: String
    /// The start of the interval, in microseconds since the Unix epoch; a multiple of the interval.
    public var start: Int64
    /// The first trade price in the interval.
    public var open: Double
    /// The highest trade price.
    public var high: Double
    /// The lowest trade price.
    public var low: Double
    /// The last trade price.
    public var close: Double
    /// The sum of the trade sizes.
    public var volume: Double
    /// The number of trades.
    public var trades: Int

    public init(symbol: String, start: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double, trades: Int) {
        self.symbol = symbol
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.trades = trades
    }

    /// A candle holding one trade.
    init(first tick: PriceTick, start: Int64) {
        self.init(symbol: tick.symbol, start: start, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.size, trades: 1)
    }

    /// Adds a later trade of the same interval.
    mutating func add(_ tick: PriceTick) {
        high = Swift.max(high, tick.price)
        low = Swift.min(low, tick.price)
        close = tick.price
        volume += tick.size
        trades += 1
    }
}
