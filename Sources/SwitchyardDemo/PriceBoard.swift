/// The live state of every symbol: last price, session range and trade count, fed one tick at a time.
public struct PriceBoard: Sendable {
    /// One symbol's line on the board.
    public struct Row: Sendable, Hashable {
        /// The market.
        public var symbol: String
        /// The first price seen this session.
        public var first: Double
        /// The latest price.
        public var last: Double
        /// The session high.
        public var high: Double
        /// The session low.
        public var low: Double
        /// The number of trades seen.
        public var trades: Int
        /// The exchange time of the latest trade, in microseconds since the Unix epoch.
        public var time: Int64

        /// The change from the first price, in percent.
        public var changePercent: Double {
            first > 0 ? (last - first) / first * 100 : 0
        }
    }

    private var rows: [String: Row] = [:]
    private let order: [String]

    /// - Parameter symbols: the order rows are listed in; symbols not in it follow, sorted.
    public init(symbols: [String] = []) {
        self.order = symbols
    }

    /// Takes a tick into account. A tick older than the symbol's latest moves no price, but is counted.
    public mutating func update(_ tick: PriceTick) {
        guard var row = rows[tick.symbol] else {
            rows[tick.symbol] = Row(symbol: tick.symbol, first: tick.price, last: tick.price, high: tick.price, low: tick.price, trades: 1, time: tick.time)
            return
        }
        row.trades += 1
        if tick.time >= row.time {
            row.last = tick.price
            row.time = tick.time
        }
        row.high = Swift.max(row.high, tick.price)
        row.low = Swift.min(row.low, tick.price)
        rows[tick.symbol] = row
    }

    /// The row for `symbol`, once it has traded.
    public subscript(symbol: String) -> Row? {
        rows[symbol]
    }

    /// Every symbol that has traded, in board order.
    public var allRows: [Row] {
        let listed = order.compactMap { rows[$0] }
        let known = Set(order)
        let others = rows.values.filter { !known.contains($0.symbol) }.sorted { $0.symbol < $1.symbol }
        return listed + others
    }
}
