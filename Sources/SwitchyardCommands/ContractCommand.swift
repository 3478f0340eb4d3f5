import ArgumentParser
import Foundation
import Switchyard
import SwitchyardContract

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
            groups get a prefix of their own, so nothing else on the broker is touched. Exit status: 0 \
            when every case that ran passed, 2 when any failed, 1 on any other error. Kafka without \
            kafka.bootstrapServers runs on an in-process mock cluster.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(name: .customLong("case"), help: ArgumentHelp("Run only this case, by name (repeatable); all by default.", valueName: "name"))
    public var cases: [String] = []

    @Option(help: ArgumentHelp("Also write the report as JSON to this file.", valueName: "file"))
    public var json: String?

    public init() {}

    public func validate() throws {
        _ = try selectedCases()
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

    /// Runs the selected cases on `io`. Throws `ExitCode(2)` when any case failed, after the summary.
    public func run(io: CommandIO) async throws {
        let selected = try selectedCases()
        let report = try await CommandSession.run(global, io: io, mockKafkaBrokers: 3) { session in
            let onMemory = session.client.backend.name == "inmemory"
            let harness = ContractHarness(
                namePrefix: "switchyard-contract-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))",
                caseTimeLimit: onMemory ? .seconds(20) : .seconds(120),
                waitTimeLimit: onMemory ? .seconds(5) : .seconds(30),
                quietPeriod: onMemory ? .milliseconds(150) : .seconds(1),
                makeBackend: { try await session.makeBackend() }
            )
            let suite = ContractSuite(harness: harness)
            var report = ContractReport(backend: session.client.backend.name, capabilities: session.client.backend.capabilities)
            for contractCase in selected {
                let started = ContinuousClock.now
                let entry: ContractReport.Entry
                do {
                    entry = ContractReport.Entry(try await suite.run(contractCase))
                } catch let violation as ContractViolation {
                    entry = ContractReport.Entry(contractCase, violation: violation, duration: ContinuousClock.now - started)
                }
                io.output.write(entry.line + "\n")
                report.cases.append(entry)
            }
            return report
        }
        io.output.write(report.summary + "\n")
        if let json {
            do {
                try Data(try report.json().utf8).write(to: URL(fileURLWithPath: json))
            } catch {
                throw SwitchyardError(.invalidConfiguration, "--json: cannot write '\(json)': \(error.localizedDescription)")
            }
        }
        if report.cases.contains(where: { $0.verdict == .failed }) { throw ExitCode(2) }
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
            let label: String
            switch verdict {
            case .passed: label = "pass   "
            case .notApplicable: label = "n/a    "
            case .notRun: label = "not run"
            case .failed: label = "FAIL   "
            }
            let case_ = "\(number < 10 ? "0" : "")\(number) \(name)"
            let time = seconds.formatted(.number.precision(.fractionLength(1)))
            return reason.isEmpty ? "\(label) \(case_) (\(time) s)" : "\(label) \(case_) (\(time) s): \(reason)"
        }
    }

    var backend: String
    /// The capability flags the backend declares, by name.
    var capabilities: [String]
    var cases: [Entry] = []

    init(backend: String, capabilities: BackendCapabilities) {
        self.backend = backend
        self.capabilities = BackendCapabilities.named.filter { capabilities.contains($0.0) }.map(\.1)
    }

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
