import Switchyard

/// The state the consumer groups update and the renderer reads: the board (board group) and the
/// candles (candle group).
final class Dashboard: Sendable {
    private struct State {
        var board: PriceBoard
        var latestCandles: [String: Candle] = [:]
        var unprintedCandles: [Candle] = []
        var candleCount = 0
        var lateTicks = 0
        var renderer: BoardRenderer
    }

    private let state: LockedValue<State>

    init(symbols: [MarketSymbol]) {
        state = LockedValue(State(board: PriceBoard(symbols: symbols.map(\.name)), renderer: BoardRenderer(symbols: symbols)))
    }

    func update(_ tick: PriceTick) {
        state.withLock { $0.board.update(tick) }
    }

    func closed(_ candles: [Candle]) {
        state.withLock { state in
            for candle in candles {
                state.latestCandles[candle.symbol] = candle
            }
            state.unprintedCandles += candles
            state.candleCount += candles.count
        }
    }

    func recordLateTicks(_ count: Int) {
        state.withLock { $0.lateTicks += count }
    }

    var candleCount: Int { state.withLock { $0.candleCount } }
    var lateTicks: Int { state.withLock { $0.lateTicks } }

    /// The text that brings the output up to date; candles are reported once.
    func render(status: BoardRenderer.Status, terminal: Bool) -> String {
        state.withLock { state in
            defer { state.unprintedCandles.removeAll(keepingCapacity: true) }
            return state.renderer.render(
                board: state.board,
                latestCandles: state.latestCandles,
                closedCandles: state.unprintedCandles,
                status: status,
                terminal: terminal
            )
        }
    }
}
