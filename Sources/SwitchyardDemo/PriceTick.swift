import Switchyard

/// One trade on the simulated market: the message the price feed publishes, keyed by symbol.
public struct PriceTick: Codable, Sendable, Hashable {
    /// The market, e.g. `BTC-USD`.
    public var symbol: String
    /// The trade price in the quote currency.
    public var price: Double
    /// The traded quantity in the base currency.
    public var size: Double
    /// The exchange time of the trade, in microseconds since the Unix epoch.
    public var time: Int64
    /// The trade's number for its symbol, from 1 and without gaps.
    public var sequence: Int64

    public init(symbol: String, price: Double, size: Double, time: Int64, sequence: Int64) {
        self.symbol = symbol
        self.price = price
        self.size = size
        self.time = time
        self.sequence = sequence
    }

    /// The `prices` topic: JSON ticks keyed by symbol.
    public static let topic = Topic<PriceTick>.json("prices")
}
