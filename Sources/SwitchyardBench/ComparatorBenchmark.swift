import Switchyard
import SwitchyardMigration

/// `switchyard compare --benchmark N`: how fast the comparator matches messages, without brokers.
///
/// Each run feeds N pre-built message pairs (100-byte payloads, 16 keys, two headers) to a fresh
/// ``ShadowComparator``, the secondary copy of each message 64 messages behind its primary copy, and
/// times the observations and the final report.
package enum ComparatorBenchmark {
    package struct Result: Sendable {
        package var pairs: Int
        package var runs: [Duration]

        package var median: Duration { runs.sorted()[runs.count / 2] }

        package var pairsPerSecond: Double {
            let seconds = median.inSeconds
            return seconds > 0 ? Double(pairs) / seconds : 0
        }

        package var summary: String {
            let each = runs.map { ComparatorBenchmark.milliseconds($0) }.joined(separator: ", ")
            return "compare benchmark: \(pairs) messages matched (\(2 * pairs) observations), median of \(runs.count) runs "
                + "\(ComparatorBenchmark.milliseconds(median)) ms: \(Int(pairsPerSecond.rounded())) messages/s matched (runs: \(each) ms)\n"
        }
    }

    /// How many messages the secondary copies arrive behind the primary ones.
    static let lag = 64

    /// Runs the benchmark `runs` times on `pairs` message pairs.
    ///
    /// - Throws: ``SwitchyardError/Code/internalError`` when the comparator does not match every pair.
    package static func run(pairs: Int, runs: Int) throws(SwitchyardError) -> Result {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        let keys = (0..<16).map { Array("SYM-\($0)".utf8) }
        let base = WallClock.nowMicroseconds()
        let messages = (0..<pairs).map { index in
            Message(
                id: MessageID.generate(),
                key: keys[index % keys.count],
                payload: payload,
                headers: [MessageHeader(name: "source", value: "bench"), MessageHeader(name: "trace", value: "t\(index % 1000)")],
                publishedAt: base + Int64(index)
            )
        }
        var durations: [Duration] = []
        for _ in 0..<runs {
            let clock = ContinuousClock()
            var report: ComparisonReport?
            let elapsed = clock.measure {
                var comparator = ShadowComparator(
                    configuration: ComparisonConfiguration(topic: "bench", primaryBackend: "inmemory", secondaryBackend: "inmemory", graceMicroseconds: 1_000_000)
                )
                // Read in place: the messages are not copied (nor their buffers retained) per observation.
                messages.withUnsafeBufferPointer { messages in
                    for index in 0..<(pairs + lag) {
                        if index < pairs {
                            comparator.observe(messages[index], on: .primary, receivedAt: base + Int64(index) + 50)
                        }
                        let behind = index - lag
                        if behind >= 0 {
                            comparator.observe(messages[behind], on: .secondary, receivedAt: base + Int64(index) + 60)
                        }
                    }
                }
                report = comparator.finish(at: base + Int64(pairs + lag) + 100)
            }
            guard let report, report.matched == pairs, report.verdict.passed else {
                throw SwitchyardError(.internalError, "The comparator matched \(report?.matched ?? 0) of \(pairs) identical benchmark messages; its figures would be meaningless. Report this as a bug.")
            }
            durations.append(elapsed)
        }
        return Result(pairs: pairs, runs: durations)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let value = duration.inMilliseconds
        return String(Int(value.rounded()))
    }
}
