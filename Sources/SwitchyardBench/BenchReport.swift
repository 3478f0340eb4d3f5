#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The outcome of `switchyard bench`: the medians over the runs, every run, and the setup.
package struct BenchReport: Codable, Sendable {
    package var backend: String
    package var messages: Int
    package var size: Int
    package var batch: Int
    package var inFlight: Int
    package var prefetch: Int
    /// How the consumers acked: `batch` (one call per received batch) or `each` (one per message).
    package var ack: BenchSettings.Acknowledgement
    package var partitions: Int
    package var runs: Int
    package var rate: Int
    package var cores: Int
    package var date: String
    /// Medians over the runs.
    package var switchyard: BenchRow
    package var asyncStream: BenchRow?
    /// Switchyard's median throughput over the baseline's, per phase.
    package var ratio: Ratio?
    package var switchyardRuns: [BenchRow]
    package var asyncStreamRuns: [BenchRow]?
    /// Medians of the raw librdkafka baseline, on Kafka with `--rdkafka-baseline`.
    package var rdkafka: BenchRdKafkaRow?
    /// Switchyard's median produce and consume throughput over the librdkafka baseline's.
    package var rdkafkaRatio: RdKafkaRatio?
    package var rdkafkaRuns: [BenchRdKafkaRow]?
    /// On the dual-write backend, each of its sides alone and the ratio to the slower one.
    package var dualWrite: BenchDualWrite?

    package struct Ratio: Codable, Sendable {
        package var produce: Double
        package var consume: Double
        package var pipeline: Double
    }

    package struct RdKafkaRatio: Codable, Sendable {
        package var produce: Double
        package var consume: Double
    }

    package init(settings: BenchSettings, backend: String, runs: Int, cores: Int, date: Date, switchyardRuns: [BenchRow], asyncStreamRuns: [BenchRow], rdkafkaRuns: [BenchRdKafkaRow] = [], dualWrite: BenchDualWrite? = nil) {
        self.backend = backend
        self.messages = settings.messages
        self.size = settings.size
        self.batch = settings.batch
        self.inFlight = settings.inFlight
        self.prefetch = settings.prefetch
        self.ack = settings.ack
        self.partitions = settings.partitions
        self.runs = runs
        self.rate = settings.rate
        self.cores = cores
        self.date = date.formatted(.iso8601)
        self.switchyard = BenchRow.median(of: switchyardRuns)
        self.switchyardRuns = switchyardRuns
        self.dualWrite = dualWrite
        func divide(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
        if rdkafkaRuns.isEmpty {
            self.rdkafka = nil
            self.rdkafkaRatio = nil
            self.rdkafkaRuns = nil
        } else {
            let baseline = BenchRdKafkaRow.median(of: rdkafkaRuns)
            self.rdkafka = baseline
            self.rdkafkaRatio = RdKafkaRatio(produce: divide(switchyard.produce, baseline.produce), consume: divide(switchyard.consume, baseline.consume))
            self.rdkafkaRuns = rdkafkaRuns
        }
        if asyncStreamRuns.isEmpty {
            self.asyncStream = nil
            self.asyncStreamRuns = nil
            self.ratio = nil
        } else {
            let baseline = BenchRow.median(of: asyncStreamRuns)
            self.asyncStream = baseline
            self.asyncStreamRuns = asyncStreamRuns
            self.ratio = Ratio(
                produce: divide(switchyard.produce, baseline.produce),
                consume: divide(switchyard.consume, baseline.consume),
                pipeline: divide(switchyard.pipeline, baseline.pipeline)
            )
        }
    }

    /// One JSON object on one line.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A table of the medians, with the baseline and the ratio when there is one.
    package func text() -> String {
        var lines = [
            "switchyard bench: backend=\(backend) messages=\(messages) size=\(size)B batch=\(batch)\(inFlight > 1 ? " in-flight=\(inFlight)" : "") prefetch=\(prefetch) ack=\(ack.rawValue) partitions=\(partitions) runs=\(runs) cores=\(cores) (medians)"
        ]
        var header = [pad("", 24), pad("produce msg/s", 15), pad("consume msg/s", 15), pad("pipeline msg/s", 16), pad("pipe p50", 10), pad("pipe p99", 10)]
        if rate > 0 {
            header += [pad("@\(rate)/s p50", 14), pad("@\(rate)/s p99", 14)]
        }
        lines.append(header.joined())
        lines.append(row("switchyard (\(backend))", switchyard))
        if let asyncStream, let ratio {
            lines.append(row("AsyncStream", asyncStream))
            lines.append(
                pad("switchyard/AsyncStream", 24, left: true) + pad(times(ratio.produce), 15) + pad(times(ratio.consume), 15) + pad(times(ratio.pipeline), 16)
            )
        }
        if let rdkafka, let rdkafkaRatio {
            lines.append(pad("librdkafka (C)", 24, left: true) + pad(count(rdkafka.produce), 15) + pad(count(rdkafka.consume), 15))
            lines.append(pad("switchyard/librdkafka", 24, left: true) + pad(times(rdkafkaRatio.produce), 15) + pad(times(rdkafkaRatio.consume), 15))
        }
        if let dualWrite {
            lines.append(row("primary (\(dualWrite.primary))", dualWrite.primaryAlone))
            lines.append(row("secondary (\(dualWrite.secondary))", dualWrite.secondaryAlone))
            lines.append(pad("dual/slower side", 24, left: true) + pad(times(dualWrite.ratio.produce), 15) + pad("", 15) + pad(times(dualWrite.ratio.pipeline), 16))
            lines.append("dual writes to \(dualWrite.primary), copies to \(dualWrite.secondary), reads from \(dualWrite.readFrom); copies spooled: \(dualWrite.spooled)")
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ row: BenchRow) -> String {
        var text = pad(name, 24, left: true) + pad(count(row.produce), 15) + pad(count(row.consume), 15) + pad(count(row.pipeline), 16)
            + pad(milliseconds(row.pipelineP50Ms), 10) + pad(milliseconds(row.pipelineP99Ms), 10)
        if let p50 = row.rateP50Ms, let p99 = row.rateP99Ms {
            text += pad(milliseconds(p50), 14) + pad(milliseconds(p99), 14)
        }
        return text
    }
}

/// The cells of the bench tables: padded columns, counts, milliseconds and ratios.
protocol BenchTableText {}

extension BenchReport: BenchTableText {}

extension BenchTableText {
    /// `text` filled with spaces to `width`, on the right when `left`; a right-aligned cell keeps at
    /// least one space before it, so a value wider than its column still stands apart.
    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(left ? 0 : 1, width - text.count))
        return left ? text + fill : fill + text
    }

    func count(_ value: Double) -> String {
        Int(value.rounded()).formatted(.number.grouping(.automatic))
    }

    func milliseconds(_ value: Double) -> String {
        value.formatted(.number.precision(.fractionLength(3))) + "ms"
    }

    func times(_ value: Double) -> String {
        value.formatted(.number.precision(.fractionLength(2))) + "x"
    }
}
