/// Turns the board and the latest candles into text: a table redrawn in place on a terminal, or a line
/// per refresh plus a line per closed candle otherwise.
struct BoardRenderer: Sendable {
    /// The counts shown in the header.
    struct Status: Sendable {
        var elapsedSeconds: Double
        var totalSeconds: Double
        var published: Int
        var consumedByGroup: [(group: String, count: Int)]
    }

    private let decimals: [String: Int]
    private var linesOnScreen = 0

    init(symbols: [MarketSymbol]) {
        self.decimals = Dictionary(symbols.map { ($0.name, $0.priceDecimals) }, uniquingKeysWith: { first, _ in first })
    }

    /// The text that brings the terminal, or the line-oriented sink, up to date.
    mutating func render(board: PriceBoard, latestCandles: [String: Candle], closedCandles: [Candle], status: Status, terminal: Bool) -> String {
        terminal
            ? redraw(frame(board: board, latestCandles: latestCandles, status: status))
            : lines(board: board, closedCandles: closedCandles, status: status)
    }

    private func header(_ status: Status) -> String {
        let groups = status.consumedByGroup.map { "\($0.group)=\($0.count)" }.joined(separator: " ")
        let clock = DecimalText.fixed(status.elapsedSeconds, decimals: 1) + "s/" + DecimalText.fixed(status.totalSeconds, decimals: 0) + "s"
        return "t=\(clock) published=\(status.published) consumed: \(groups)"
    }

    private func frame(board: PriceBoard, latestCandles: [String: Candle], status: Status) -> [String] {
        var lines = [header(status), ""]
        let columns = [("SYMBOL", 10), ("LAST", 13), ("CHG%", 8), ("TRADES", 8), ("1s OPEN", 13), ("1s HIGH", 13), ("1s LOW", 13), ("1s CLOSE", 13), ("1s VOL", 13), ("1s N", 6)]
        lines.append(columns.enumerated().map { $0.offset == 0 ? DecimalText.left($0.element.0, $0.element.1) : DecimalText.right($0.element.0, $0.element.1) }.joined())
        for row in board.allRows {
            let places = decimals[row.symbol] ?? 2
            let change = (row.changePercent >= 0 ? "+" : "") + DecimalText.fixed(row.changePercent, decimals: 2)
            var line = DecimalText.left(row.symbol, 10)
                + DecimalText.right(DecimalText.fixed(row.last, decimals: places), 13)
                + DecimalText.right(change, 8)
                + DecimalText.right(String(row.trades), 8)
            if let candle = latestCandles[row.symbol] {
                for price in [candle.open, candle.high, candle.low, candle.close] {
                    line += DecimalText.right(DecimalText.fixed(price, decimals: places), 13)
                }
                line += DecimalText.right(DecimalText.fixed(candle.volume, decimals: 3), 13) + DecimalText.right(String(candle.trades), 6)
            }
            lines.append(line)
        }
        return lines
    }

    private mutating func redraw(_ frame: [String]) -> String {
        var text = linesOnScreen > 0 ? "\u{1B}[\(linesOnScreen)F" : ""
        for line in frame {
            text += "\u{1B}[2K" + line + "\n"
        }
        for _ in frame.count..<Swift.max(frame.count, linesOnScreen) {
            text += "\u{1B}[2K\n"
        }
        linesOnScreen = Swift.max(frame.count, linesOnScreen)
        return text
    }

    private func lines(board: PriceBoard, closedCandles: [Candle], status: Status) -> String {
        var text = ""
        for candle in closedCandles {
            let places = decimals[candle.symbol] ?? 2
            let prices = [("o", candle.open), ("h", candle.high), ("l", candle.low), ("c", candle.close)]
                .map { "\($0.0)=\(DecimalText.fixed($0.1, decimals: places))" }
                .joined(separator: " ")
            text += "candle \(candle.symbol) \(DecimalText.timeOfDay(candle.start)) \(prices) v=\(DecimalText.fixed(candle.volume, decimals: 3)) n=\(candle.trades)\n"
        }
        let prices = board.allRows.map { "\($0.symbol)=\(DecimalText.fixed($0.last, decimals: decimals[$0.symbol] ?? 2))" }.joined(separator: " ")
        return text + "board \(header(status)) \(prices)\n"
    }
}
