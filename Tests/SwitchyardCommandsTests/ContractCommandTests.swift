import ArgumentParser
import Foundation
import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration
import SwitchyardContract
import SwitchyardKafka
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardCommands

/// `switchyard contract` on each backend: its lines, its exit status, and its JSON against what the
/// library's suite reports for the same backend.
@Suite struct ContractCommandTests {
    private static func report(at path: String) throws -> ContractReport {
        try JSONDecoder().decode(ContractReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString).json").path
    }

    @Test func onInMemoryEveryCaseAgreesWithTheLibrarysSuiteAndOnlyTheFaultCasesAreNotRun() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let test = TestIO()
        try await ContractCommand.parse(["--backend", "inmemory", "--performance-messages", "2000", "--json", path]).run(io: test.io)

        let report = try Self.report(at: path)
        #expect(report.backend == "inmemory")
        #expect(report.cases.map(\.name) == ContractCase.all.map(\.name))
        let lines = test.output.text.split(separator: "\n").map(String.init)
        #expect(lines.count == ContractCase.all.count + 3)
        let performance = try #require(report.performance)
        #expect(performance.messages == 2000 && performance.sendPerSecond > 0 && performance.receivePerSecond > 0 && performance.p99Ms != nil)
        #expect(lines.contains { $0.hasPrefix("performance (2000 messages of 100 bytes): send ") })
        #expect(lines.dropLast().last == "cleanup: nothing to remove; this inmemory broker keeps nothing once the process ends")
        #expect(lines.last == "contract on inmemory: 25 passed, 0 not applicable, 2 not run, 0 failed")
        #expect(report.cases.filter { $0.verdict == .notRun }.map(\.name) == [ContractCase.brokerDownAtStart.name, ContractCase.brokerRestartMidStream.name])

        // Like the command, every client of a case shares one broker, as `switchyard` processes do.
        let suite = ContractSuite(harness: ContractHarness(
            namePrefix: "library", caseTimeLimit: .seconds(20), waitTimeLimit: .seconds(5), quietPeriod: .milliseconds(150),
            makeBackend: { InMemoryBackend.shared(named: "contract-command-tests", configuration: .init()) }
        ))
        for entry in report.cases {
            let contractCase = try #require(ContractCase.all.first { $0.name == entry.name })
            let library = ContractReport.Entry(try await suite.run(contractCase))
            #expect(entry.verdict == library.verdict, "\(entry.name): the command says \(entry.verdict), the library \(library.verdict)")
        }
    }

    @Test func anUnknownCaseIsRefusedWithTheNamesThereAre() {
        do {
            _ = try ContractCommand.parse(["--case", "roundtrip"])
            Issue.record("Expected an error")
        } catch {
            let message = ContractCommand.message(for: error)
            #expect(message.contains("There is no contract case 'roundtrip'"), "\(message)")
            #expect(message.contains("roundTrip, topicIsolation"), "\(message)")
        }
    }

    @Test func onAKafkaClusterInAnotherProcessTheCasesRunAndPass() async throws {
        let mock = try ChildProcess(try ChildProcess.switchyardExecutable(), ["kafka-mock", "--brokers", "1"])
        let servers = try #require(try await mock.nextLines(1, within: .seconds(30)).first)
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await ChildProcess.run(
            try ChildProcess.switchyardExecutable(),
            ["contract", "--backend", "kafka", "--set", "kafka.bootstrapServers=\(servers)",
             "--case", "roundTrip", "--case", "orderPerKey", "--performance-messages", "0", "--json", path],
            within: .seconds(180)
        )
        mock.send(SIGTERM)
        _ = try await mock.termination(within: .seconds(30))

        #expect(run.termination.succeeded, "\(run.output)\n\(run.errors)")
        let report = try Self.report(at: path)
        #expect(report.cases.map(\.name) == ["roundTrip", "orderPerKey"])
        #expect(report.cases.allSatisfy { $0.verdict == .passed }, "\(run.output)")
        #expect(report.capabilities.contains("replay"))
    }

    @Test func comparingRabbitMQClassicWithKafkaNamesExactlyTheCapabilitiesTheyDeclareDifferently() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("contract-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("rabbitmq-classic.yaml").path
        let b = directory.appendingPathComponent("kafka.yaml").path
        let url = try await RabbitMQTestBroker.url()
        try "backend: rabbitmq\nrabbitmq:\n  url: \(url)\n  queueType: classic\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "backend: kafka\n".write(toFile: b, atomically: true, encoding: .utf8)
        let json = directory.appendingPathComponent("comparison.json").path
        let html = directory.appendingPathComponent("comparison.html").path
        let test = TestIO()
        try await ContractCommand.parse([
            "--compare", a, b, "--case", "roundTrip", "--case", "replayFromEarliest", "--performance-messages", "0", "--json", json, "--html", html,
        ]).run(io: test.io)

        var classic = SwitchyardSettings()
        classic.backend = .rabbitmq
        classic.rabbitmq.url = url
        classic.rabbitmq.queueType = .classic
        // What each backend declares, asked of the library: a RabbitMQ backend on classic queues, and a
        // Kafka backend on an in-process mock cluster, as `backend: kafka` without servers runs.
        let rabbitmq = try await BackendFactory.makeBackend(classic, logger: Logger(label: "test"))
        let declaredA = rabbitmq.capabilities
        try await rabbitmq.shutdown()
        let cluster = try await KafkaMockCluster.start(brokers: 1)
        let declaredB = KafkaBackend(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), mockCluster: cluster, logger: Logger(label: "test")).capabilities
        await cluster.shutdown()
        let expected = BackendCapabilities.named.filter { declaredA.contains($0.0) != declaredB.contains($0.0) }.map(\.1)

        let comparison = try JSONDecoder().decode(ContractComparison.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(comparison.capabilityDifferences.map(\.subject) == expected, "\(test.output.text)")
        #expect(comparison.capabilityDifferences.contains { $0.subject == "replay" && $0.a == "no" && $0.b == "yes" })
        #expect(comparison.caseDifferences.map(\.subject) == ["10 replayFromEarliest"], "\(test.output.text)")
        #expect(comparison.caseDifferences.first?.a == "n/a" && comparison.caseDifferences.first?.b == "pass")
        #expect(test.output.text.contains("Moving from A (rabbitmq-classic.yaml, rabbitmq) to B (kafka.yaml, kafka):"))
        #expect(test.output.text.contains("  replay: A no, B yes. "), "\(test.output.text)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<td>replay</td>"))
        #expect(!page.contains("guest:guest"), "the page never shows a credential")
    }

    @Test(arguments: ["classic", "quorum"])
    func onRabbitMQReplayIsNotApplicableTheRestPassesAndNothingIsLeftBehind(queueType: String) async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let test = TestIO()
        let url = try await RabbitMQTestBroker.url()
        try await ContractCommand.parse([
            "--backend", "rabbitmq", "--set", "rabbitmq.url=\(url)", "--set", "rabbitmq.queueType=\(queueType)",
            "--case", "roundTrip", "--case", "replayFromEarliest", "--case", "deadLetterAfterMaxAttempts", "--case", "competingConsumers",
            "--performance-messages", "1000", "--json", path,
        ]).run(io: test.io)

        let verdicts = Dictionary(uniqueKeysWithValues: try Self.report(at: path).cases.map { ($0.name, $0.verdict) })
        #expect(
            verdicts == ["roundTrip": .passed, "replayFromEarliest": .notApplicable, "deadLetterAfterMaxAttempts": .passed, "competingConsumers": .passed],
            "\(test.output.text)"
        )
        #expect(test.output.text.contains("n/a     10 replayFromEarliest"), "\(test.output.text)")
        #expect(test.output.text.contains("cleanup: removed the run's "), "\(test.output.text)")

        let vhost = try #require(URL(string: url)?.lastPathComponent)
        let queues = try await RabbitMQTestBroker.rabbitmqctl(["list_queues", "-p", vhost, "name", "--quiet", "--no-table-headers"])
        let exchanges = try await RabbitMQTestBroker.rabbitmqctl(["list_exchanges", "-p", vhost, "name", "--quiet", "--no-table-headers"])
        #expect(!queues.contains("switchyard-contract-"), "queues left behind: \(queues)")
        #expect(!exchanges.contains("switchyard-contract-"), "exchanges left behind: \(exchanges)")
    }
}
