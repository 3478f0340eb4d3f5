import Switchyard

/// One shape of `switchyard bench --gateway`: how many subscribers, how fast the prices are published,
/// and which symbols each subscriber asks for.
///
/// Message `n` carries symbol `n % symbols` as its key. Subscriber `s` asks for `symbolsPerSubscriber`
/// consecutive symbols starting at `s * symbolsPerSubscriber`, wrapping around, so every symbol has
/// (nearly) the same number of subscribers and every subscriber knows how many messages it is owed.
package struct GatewayBenchScenario: Codable, Sendable, Hashable {
    package var subscribers: Int
    /// Messages published per second; `nil` publishes as fast as the server takes them.
    package var rate: Int?
    /// Messages published per run.
    package var messages: Int
    package var symbols: Int
    package var symbolsPerSubscriber: Int
    /// Payload bytes per message.
    package var size: Int

    package init(subscribers: Int, rate: Int?, messages: Int, symbols: Int, symbolsPerSubscriber: Int, size: Int) {
        self.subscribers = subscribers
        self.rate = rate
        self.messages = messages
        self.symbols = symbols
        self.symbolsPerSubscriber = symbolsPerSubscriber
        self.size = size
    }

    /// A short name for progress lines and the table.
    var label: String {
        "\(subscribers) subscribers, " + (rate.map { "\($0) msg/s" } ?? "unpaced")
    }

    /// The key of symbol `index`: `SYM000`, `SYM001`, ...
    func symbol(_ index: Int) -> [UInt8] {
        let digits = String(index)
        return Array(("SYM" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits).utf8)
    }

    /// The symbols subscriber `index` asks for.
    func symbols(ofSubscriber index: Int) -> [Int] {
        let count = min(symbolsPerSubscriber, symbols)
        return (0..<count).map { (index * count + $0) % symbols }
    }

    /// How many of the run's messages carry `symbol`.
    func messages(of symbol: Int) -> Int {
        messages / symbols + (symbol < messages % symbols ? 1 : 0)
    }

    /// How many messages subscriber `index` is owed in one run.
    func owed(toSubscriber index: Int) -> Int {
        symbols(ofSubscriber: index).reduce(0) { $0 + messages(of: $1) }
    }

    /// How many deliveries one run owes to all subscribers together.
    var owedDeliveries: Int {
        (0..<subscribers).reduce(0) { $0 + owed(toSubscriber: $1) }
    }
}
