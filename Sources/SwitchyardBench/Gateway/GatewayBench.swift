import Logging
import Switchyard

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `switchyard bench --gateway`: the gateway's delivery to many subscribers against a bare grpc-swift
/// server streaming the same messages, run after run, in each scenario.
package struct GatewayBench: Sendable {
    package let backend: any MessagingBackend
    package let scenarios: [GatewayBenchScenario]
    package let runs: Int
    /// Partitions of each bench topic on the backend.
    package let partitions: Int
    /// Batch sends to the backend awaiting its acknowledgement at once.
    package let sendsInFlight: Int
    package let logger: Logger

    package init(backend: any MessagingBackend, scenarios: [GatewayBenchScenario], runs: Int, partitions: Int, sendsInFlight: Int, logger: Logger) {
        self.backend = backend
        self.scenarios = scenarios
        self.runs = runs
        self.partitions = partitions
        self.sendsInFlight = sendsInFlight
        self.logger = logger
    }

    /// Measures each scenario `runs` times on the gateway and on the baseline, alternately.
    package func run(progress: BenchProgress) async throws -> GatewayBenchReport {
        let runTag = String(MessageID.generate().suffix(12))
        let gateway = GatewayBenchGateway(backend: backend, partitions: partitions, sendsInFlight: sendsInFlight, logger: logger)
        let baseline = GatewayBenchBaseline()
        var results: [GatewayBenchReport.ScenarioResult] = []
        for (number, scenario) in scenarios.enumerated() {
            let limit = Duration.seconds(60 + Double(scenario.messages) / Double(scenario.rate ?? 10_000))
            var gatewayRuns: [GatewayBenchRow] = []
            var baselineRuns: [GatewayBenchRow] = []
            for run in 1...runs {
                progress.show("[\(scenario.label), run \(run)] gateway on \(backend.name)")
                gatewayRuns.append(try await gateway.measure(scenario, topic: "bench-gateway-\(runTag)-\(number)-\(run)", limit: limit))
                progress.show("[\(scenario.label), run \(run)] bare grpc-swift")
                baselineRuns.append(try await baseline.measure(scenario, limit: limit))
            }
            results.append(
                GatewayBenchReport.ScenarioResult(
                    scenario: scenario,
                    queueCapacity: GatewayBenchGateway.queueCapacity(for: scenario),
                    gatewayRuns: gatewayRuns,
                    baselineRuns: baselineRuns
                )
            )
        }
        progress.clear()
        return GatewayBenchReport(
            backend: backend.name, runs: runs, cores: ProcessInfo.processInfo.activeProcessorCount, date: Date(), scenarios: results
        )
    }
}

/// The outcome of `switchyard bench --gateway`; its JSON has the figures under `gateway`.
package struct GatewayBenchReport: Codable, Sendable {
    /// One scenario's medians and runs.
    package struct ScenarioResult: Codable, Sendable {
        package var scenario: GatewayBenchScenario
        /// The gateway's subscriber queue capacity in this scenario.
        package var queueCapacity: Int
        package var gateway: GatewayBenchRow
        package var baseline: GatewayBenchRow
        /// The gateway's median delivered msg/s over the baseline's.
        package var ratio: Double
        package var gatewayRuns: [GatewayBenchRow]
        package var baselineRuns: [GatewayBenchRow]

        init(scenario: GatewayBenchScenario, queueCapacity: Int, gatewayRuns: [GatewayBenchRow], baselineRuns: [GatewayBenchRow]) {
            self.scenario = scenario
            self.queueCapacity = queueCapacity
            gateway = GatewayBenchRow.median(of: gatewayRuns)
            baseline = GatewayBenchRow.median(of: baselineRuns)
            ratio = baseline.delivered > 0 ? gateway.delivered / baseline.delivered : 0
            self.gatewayRuns = gatewayRuns
            self.baselineRuns = baselineRuns
        }
    }

    /// The headline figures and every scenario.
    package struct Summary: Codable, Sendable {
        /// The lowest scenario ratio: the gateway's delivered msg/s over the bare server's.
        package var ratio: Double
        /// The gateway's median p99 publish-to-client latency in the first paced scenario (the fewest
        /// subscribers at the given rate); 0 when no scenario is paced.
        package var p99Ms: Double
        package var scenarios: [ScenarioResult]
    }

    package var backend: String
    package var runs: Int
    package var cores: Int
    package var date: String
    package var gateway: Summary

    init(backend: String, runs: Int, cores: Int, date: Date, scenarios: [ScenarioResult]) {
        self.backend = backend
        self.runs = runs
        self.cores = cores
        self.date = date.formatted(.iso8601)
        let paced = scenarios.filter { $0.scenario.rate != nil }.min { $0.scenario.subscribers < $1.scenario.subscribers }
        gateway = Summary(ratio: scenarios.map(\.ratio).min() ?? 0, p99Ms: paced?.gateway.p99Ms ?? 0, scenarios: scenarios)
    }

    /// One JSON object on one line.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A table: per scenario, the gateway, the bare server and the ratio.
    package func text() -> String {
        let first = gateway.scenarios.first?.scenario
        var lines = [
            "switchyard bench --gateway: backend=\(backend) symbols=\(first?.symbols ?? 0) per-subscriber=\(first?.symbolsPerSubscriber ?? 0) size=\(first?.size ?? 0)B runs=\(runs) cores=\(cores) (medians)",
            pad("", 52) + pad("delivered msg/s", 17) + pad("p50", 11) + pad("p99", 11) + pad("peak RSS", 11) + pad("lost", 7),
        ]
        for result in gateway.scenarios {
            let name = "\(result.scenario.label), \(result.scenario.messages) msgs"
            lines.append(row("\(name): gateway", result.gateway))
            lines.append(row("\(name): bare grpc-swift", result.baseline))
            lines.append(pad("  gateway/bare", 52, left: true) + pad(times(result.ratio), 17))
        }
        lines.append("gateway.ratio (lowest) = \(gateway.ratio.formatted(.number.precision(.fractionLength(2)))), gateway.p99Ms = \(gateway.p99Ms.formatted(.number.precision(.fractionLength(3))))")
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ row: GatewayBenchRow) -> String {
        pad(name, 52, left: true) + pad(count(row.delivered), 17)
            + pad(milliseconds(row.p50Ms), 11)
            + pad(milliseconds(row.p99Ms), 11)
            + pad(row.peakResidentMiB.formatted(.number.precision(.fractionLength(0))) + " MiB", 11)
            + pad(String(row.lost), 7)
    }
}

extension GatewayBenchReport: BenchTableText {}
