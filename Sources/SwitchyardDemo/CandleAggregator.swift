/// Builds OHLCV candles from a stream of ticks, per symbol, in fixed intervals aligned to the epoch.
///
/// A symbol's candle closes when the first tick of a later interval arrives for that symbol, or on
/// ``closeAll()``. A tick older than its symbol's open candle is counted in ``lateTicks`` and left out,
/// so a closed candle never changes.
public struct CandleAggregator: Sendable {
    /// The candle length in microseconds.
    public let intervalMicroseconds: Int64
    /// Ticks that arrived after their interval's candle had closed.
    public private(set) var lateTicks = 0
    private var open: [String: Candle] = [:]

    /// - Parameter intervalMicroseconds: the candle length; one second by default.
    public init(intervalMicroseconds: Int64 = 1_000_000) {
        precondition(intervalMicroseconds > 0, "a candle interval is positive")
        self.intervalMicroseconds = intervalMicroseconds
    }

    /// Adds a tick and returns the candle it closed, if it is the first of a new interval for its
    /// symbol.
    public mutating func add(_ tick: PriceTick) -> Candle? {
        let start = bucketStart(of: tick.time)
        guard var candle = open[tick.symbol] else {
            open[tick.symbol] = Candle(first: tick, start: start)
            return nil
        }
        if start == candle.start {
            candle.add(tick)
            open[tick.symbol] = candle
            return nil
        }
        if start < candle.start {
            lateTicks += 1
            return nil
        }
        open[tick.symbol] = Candle(first: tick, start: start)
        return candle
    }

    /// Closes every open candle and returns them ordered by symbol.
    public mutating func closeAll() -> [Candle] {
        defer { open = [:] }
        return open.values.sorted { $0.symbol < $1.symbol }
    }

    private func bucketStart(of time: Int64) -> Int64 {
        let remainder = time % intervalMicroseconds
        return remainder >= 0 ? time - remainder : time - remainder - intervalMicroseconds
    }
}
