import Logging
import Switchyard

/// Counts what `produce` sent and what failed, and words the summary.
struct SendTally {
    let topic: String
    private(set) var succeeded = 0
    private(set) var failed = 0
    private(set) var bytes = 0
    private var firstError: SwitchyardError?
    private let started = ContinuousClock.now

    init(topic: String) {
        self.topic = topic
    }

    mutating func recordAcked(_ batch: [Message]) {
        succeeded += batch.count
        bytes += batch.reduce(0) { $0 + $1.payload.count }
    }

    mutating func recordFailure(_ batch: [Message], unacknowledged: Set<String>, error: SwitchyardError, logger: Logger) {
        recordAcked(batch.filter { !unacknowledged.contains($0.id) })
        recordUnsent(batch.count(where: { unacknowledged.contains($0.id) }), error: error, logger: logger)
    }

    /// Counts `count` messages that failed before or while being sent.
    mutating func recordUnsent(_ count: Int, error: SwitchyardError, logger: Logger) {
        failed += count
        firstError = firstError ?? error
        logger.warning("Send failed", metadata: ["topic": "\(topic)", "messages": "\(count)", "error": "\(error)"])
    }

    /// One line: how many were acknowledged, how fast, and how many were not.
    func summary() -> String {
        let seconds = (ContinuousClock.now - started).inSeconds
        let rate = seconds > 0 ? Int(Double(succeeded) / seconds) : 0
        let centiseconds = Int((seconds * 100).rounded())
        let shown = "\(centiseconds / 100).\(centiseconds % 100 < 10 ? "0" : "")\(centiseconds % 100)"
        var line = "produce: \(succeeded) of \(succeeded + failed) messages acknowledged on '\(topic)', \(bytes) payload bytes in \(shown) s (\(rate) msg/s)"
        if let firstError {
            line += "; \(failed) NOT acknowledged, first error: \(firstError)"
        }
        return line
    }
}
