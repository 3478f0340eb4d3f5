import ArgumentParser
import Foundation
import Switchyard
import SwitchyardBench
import SwitchyardContract
import SwitchyardKafka
import SwitchyardMigration

/// `switchyard contract`: the public contract suite, run against the configured backend.
public struct ContractCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Run the contract suite against the configured backend and report, case by case, how it behaves.",
        discussion: """
            Each case prints one line as it finishes: pass (the behaviour was proved), n/a (the backend \
            lacks a capability the case needs, and asking for it failed with a clear error, as the \
            contract requires), not run (the case needs a fault hook, such as restarting the broker, that \
            only the test harness has), or FAIL with what was expected and what was seen. Topics and \
            groups get a prefix of their own, so nothing else on the broker is touched, and are removed \
            afterwards where the backend can remove topics (RabbitMQ). Exit status: 0 \
            when every case that ran passed, 2 when any failed, 1 on any other error. Kafka without \
            kafka.bootstrapServers runs on an in-process mock cluster. With --compare A.yaml B.yaml, or a \
            configuration whose backend is dual (primary as A, secondary as B), it runs on both and then \
            names each capability and case where they differ, with what that means for an application \
            moving from A to B; --json and --html then hold the comparison.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(name: .customLong("case"), help: ArgumentHelp("Run only this case, by name (repeatable); all by default.", valueName: "name"))
    public var cases: [String] = []

    @Option(help: ArgumentHelp("Also write the report as JSON to this file.", valueName: "file"))
    public var json: String?

    @Option(help: ArgumentHelp("With --compare (or backend: dual), also write the comparison as a self-contained HTML page.", valueName: "file"))
    public var html: String?

    @Option(
        name: .customLong("compare"),
        parsing: .upToNextOption,
        help: ArgumentHelp("Run on the backends of two configuration files, A then B, and report how they differ for an application moving from A to B.", valueName: "A.yaml B.yaml")
    )
    public var compared: [String] = []

    @Option(help: "Messages of the performance run after the cases (send, receive, and p99 at 10,000 msg/s); 0 skips it.")
    public var performanceMessages: Int = 20_000

    public init() {}

    public func validate() throws {
        _ = try selectedCases()
        if performanceMessages < 0 { throw ValidationError("--performance-messages must be 0 or more.") }
        if !compared.isEmpty, compared.count != 2 {
            throw ValidationError("--compare takes two configuration files, A and B, not \(compared.count).")
        }
        if !compared.isEmpty, global.config != nil || global.backend != nil {
            throw ValidationError("--compare takes its backends from its two files; leave out --config and --backend.")
        }
    }

    /// The cases named by `--case`, in suite order; every case when none is named.
    func selectedCases() throws -> [ContractCase] {
        guard !cases.isEmpty else { return ContractCase.all }
        let known = Set(ContractCase.all.map(\.name))
        if let unknown = cases.first(where: { !known.contains($0) }) {
            throw ValidationError("There is no contract case '\(unknown)'. The cases are: \(ContractCase.all.map(\.name).joined(separator: ", ")).")
        }
        return ContractCase.all.filter { cases.contains($0.name) }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the selected cases on `io`, on one backend, or on two with `--compare` or `backend: dual`.
    /// Throws `ExitCode(2)` when any case failed, after the summary.
    public func run(io: CommandIO) async throws {
        let sides = try comparedSides(io: io)
        guard let sides else {
            let report = try await runSuite(global, label: nil, io: io)
            if let json { try ReportFile.write(Array(try report.json().utf8), to: json, flag: "--json") }
            if report.failed { throw ExitCode(2) }
            return
        }
        let a = try await runSuite(sides.a.options, label: sides.a.label, io: io)
        let b = try await runSuite(sides.b.options, label: sides.b.label, io: io)
        let comparison = ContractComparison(a: a, b: b)
        io.output.write(comparison.text)
        if let json { try ReportFile.write(Array(try comparison.json().utf8), to: json, flag: "--json") }
        if let html { try ReportFile.write(Array(comparison.htmlPage().utf8), to: html, flag: "--html") }
        if a.failed || b.failed { throw ExitCode(2) }
    }

    /// The two sides to compare: the files of `--compare`, or the primary and secondary of a dual
    /// configuration; `nil` for a run on one backend.
    private func comparedSides(io: CommandIO) throws -> (a: (options: GlobalOptions, label: String), b: (options: GlobalOptions, label: String))? {
        if compared.count == 2 {
            let sides = compared.map { path in
                var options = global
                options.config = path
                return (options, URL(fileURLWithPath: path).lastPathComponent)
            }
            return (sides[0], sides[1])
        }
        let settings = try global.resolve(environment: io.environment).settings
        guard settings.backend == .dual else { return nil }
        let sides = [("primary", settings.dual.primary.rawValue), ("secondary", settings.dual.secondary.rawValue)].map { role, backend in
            var options = global
            options.backend = backend
            return (options, "\(role) \(backend)")
        }
        return (sides[0], sides[1])
    }

    /// Runs the selected cases on the backend `options` configure, printing a line per case (after
    /// `label`, when comparing) and the summary.
    private func runSuite(_ options: GlobalOptions, label: String?, io: CommandIO) async throws -> ContractReport {
        let selected = try selectedCases()
        let prefix = label.map { "[\($0)] " } ?? ""
        let footprint = ContractFootprint()
        let report = try await CommandSession.run(options, io: io, mockKafkaBrokers: 3) { session in
            let onMemory = session.client.backend.name == "inmemory"
            let harness = ContractHarness(
                namePrefix: "switchyard-contract-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))",
                caseTimeLimit: onMemory ? .seconds(20) : .seconds(120),
                waitTimeLimit: onMemory ? .seconds(5) : .seconds(30),
                quietPeriod: onMemory ? .milliseconds(150) : .seconds(1),
                makeBackend: { FootprintRecordingBackend(base: try await session.makeBackend(), footprint: footprint) }
            )
            // A producer connects where the backend connects eagerly, so wrong credentials or an
            // unreachable broker end the run with that error instead of failing every case with it.
            let probe = try await session.client.backend.makeProducer()
            try await probe.close()
            let suite = ContractSuite(harness: harness)
            var report = ContractReport(
                label: label ?? session.client.backend.name, backend: session.client.backend.name, capabilities: session.client.backend.capabilities
            )
            for contractCase in selected {
                let started = ContinuousClock.now
                let entry: ContractReport.Entry
                do {
                    entry = ContractReport.Entry(try await suite.run(contractCase))
                } catch let violation as ContractViolation {
                    entry = ContractReport.Entry(contractCase, violation: violation, duration: ContinuousClock.now - started)
                }
                io.output.write(prefix + entry.line + "\n")
                report.cases.append(entry)
            }
            if performanceMessages > 0 {
                report.performance = try await measurePerformance(session, footprint: footprint, io: io)
                io.output.write(prefix + (report.performance?.line ?? "") + "\n")
            }
            report.cleanup = await footprint.remove(with: session.client.backend)
            io.output.write(prefix + report.cleanup + "\n")
            return report
        }
        io.output.write(prefix + report.summary + "\n")
        return report
    }
}

extension ContractCommand {
    /// One run of `switchyard bench`'s phases on the session's backend, with its defaults for that
    /// backend and `--performance-messages` messages, in topics the footprint records for cleanup.
    private func measurePerformance(_ session: CommandSession, footprint: ContractFootprint, io: CommandIO) async throws -> ContractReport.Performance {
        let backend = session.client.backend
        let onKafka = backend is KafkaBackend || (backend as? DualWriteBackend).map { $0.primary is KafkaBackend || $0.secondary is KafkaBackend } ?? false
        let defaults = try BenchCommand.parse(["--messages", "\(performanceMessages)", "--runs", "1"])
        let bench = Bench(
            backend: FootprintRecordingBackend(base: backend, footprint: footprint),
            settings: defaults.settings(onKafka: onKafka, backendName: backend.name),
            runs: 1,
            rdkafkaBaseline: nil,
            logger: session.logger
        )
        let measured = try await bench.run(progress: io.errors.progressLine)
        return ContractReport.Performance(measured.switchyard, messages: performanceMessages)
    }
}

/// What `switchyard contract` found: a verdict per case, and the backend's declared capabilities.
struct ContractReport: Codable, Sendable {
    /// How a case ended.
    enum Verdict: String, Codable, Sendable {
        /// The behaviour was proved.
        case passed
        /// The backend lacks a capability the case needs, and asking for it failed clearly.
        case notApplicable
        /// The case needs a fault hook that only the test harness has.
        case notRun
        /// The backend broke the contract.
        case failed
    }

    /// One case's verdict.
    struct Entry: Codable, Sendable {
        var number: Int
        var name: String
        var verdict: Verdict
        /// Why it is not applicable, not run, or failed; empty when it passed.
        var reason: String
        var notes: [String]
        var seconds: Double

        init(_ outcome: ContractOutcome) {
            number = outcome.contractCase.number
            name = outcome.contractCase.name
            notes = outcome.notes
            seconds = outcome.duration.inSeconds
            switch outcome.result {
            case .proved:
                verdict = .passed
                reason = ""
            case .provedUnsupported:
                verdict = .notApplicable
                let absent = outcome.contractCase.capabilities.subtracting(outcome.declaredCapabilities)
                reason = "the backend does not declare \(absent.isEmpty ? outcome.contractCase.capabilities : absent), and asking for it failed clearly"
            case .skipped(let why):
                verdict = .notRun
                reason = "it needs a fault hook that only the test harness has (\(why))"
            }
        }

        init(_ contractCase: ContractCase, violation: ContractViolation, duration: Duration) {
            number = contractCase.number
            name = contractCase.name
            verdict = .failed
            reason = "expected \(violation.expected); saw \(violation.seen)"
            notes = []
            seconds = duration.inSeconds
        }

        /// The line printed as the case finishes.
        var line: String {
            let label = verdict.label.padding(toLength: 7, withPad: " ", startingAt: 0)
            let case_ = "\(number < 10 ? "0" : "")\(number) \(name)"
            let time = seconds.formatted(.number.precision(.fractionLength(1)))
            return reason.isEmpty ? "\(label) \(case_) (\(time) s)" : "\(label) \(case_) (\(time) s): \(reason)"
        }
    }

    /// What the run is called: the configuration file or side it came from, or the backend's name.
    var label: String
    var backend: String
    /// The capability flags the backend declares, by name.
    var capabilities: [String]
    var cases: [Entry] = []
    /// What the run removed from the broker afterwards, or why it did not.
    var cleanup = ""
    /// The performance run's figures; `nil` when it was skipped.
    var performance: Performance?

    /// `switchyard bench`'s figures for the backend, from one run.
    struct Performance: Codable, Sendable {
        var messages: Int
        /// Messages sent per second.
        var sendPerSecond: Double
        /// Messages received and acknowledged per second.
        var receivePerSecond: Double
        /// Publish-to-consume p99 at 10,000 msg/s, in milliseconds; `nil` when that phase did not run.
        var p99Ms: Double?

        init(_ row: BenchRow, messages: Int) {
            self.messages = messages
            sendPerSecond = row.produce
            receivePerSecond = row.consume
            p99Ms = row.rateP99Ms
        }

        var line: String {
            let rate = { (value: Double) in Int(value.rounded()).formatted(.number.grouping(.automatic)) }
            let p99 = p99Ms.map { "\($0.formatted(.number.precision(.fractionLength(1)))) ms" } ?? "not measured"
            return "performance (\(messages) messages of 100 bytes): send \(rate(sendPerSecond)) msg/s, receive \(rate(receivePerSecond)) msg/s, p99 at 10,000 msg/s \(p99)"
        }
    }

    init(label: String, backend: String, capabilities: BackendCapabilities) {
        self.label = label
        self.backend = backend
        self.capabilities = BackendCapabilities.named.filter { capabilities.contains($0.0) }.map(\.1)
    }

    /// Whether any case failed.
    var failed: Bool { cases.contains { $0.verdict == .failed } }

    /// The last line: how many cases ended each way.
    var summary: String {
        let count = { (verdict: Verdict) in cases.filter { $0.verdict == verdict }.count }
        return "contract on \(backend): \(count(.passed)) passed, \(count(.notApplicable)) not applicable, \(count(.notRun)) not run, \(count(.failed)) failed"
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
