import ArgumentParser
import Foundation
import Logging
import Switchyard
import SwitchyardInMemory
import SwitchyardMigration
import Testing

@testable import SwitchyardCommands

@Suite struct CompareCommandTests {
    /// Two separate in-memory brokers of this process as the primary and the secondary. (A dual
    /// configuration refuses two sides of the same backend, so the tests hand the brokers to `compare`
    /// past the configuration, the way ``CompareCommand/run(io:)`` does once it has built them.)
    static func sides() -> (primary: any MessagingBackend, secondary: any MessagingBackend) {
        (InMemoryBackend.shared(named: "compare-tests-primary"), InMemoryBackend.shared(named: "compare-tests-secondary"))
    }

    static func send(_ messages: [Message], to backend: any MessagingBackend, topic: String) async throws {
        let producer = try await backend.makeProducer()
        for message in messages { try await producer.send(message, to: topic) }
        try await producer.close()
    }

    /// Messages as a dual writer would send them: one id, publish time, key, payload and headers per message.
    static func messages(_ count: Int) -> [Message] {
        let now = WallClock.nowMicroseconds()
        return (0..<count).map { index in
            Message(
                key: "SYM-\(index % 3)",
                payload: "price \(index)",
                headers: [MessageHeader(name: "source", value: "feed"), MessageHeader(name: "hop", value: "primary")],
                publishedAt: now + Int64(index)
            )
        }
    }

    /// Runs `compare` with `arguments` within 30 s; returns its streams and the exit code it threw, if any.
    static func compare(_ arguments: [String]) async throws -> (io: TestIO, exitCode: Int32?) {
        let streams = TestIO()
        let command = try CompareCommand.parse(arguments)
        let (primary, secondary) = sides()
        let sides = CompareSides(primary: primary, secondary: secondary, primaryName: "inmemory", secondaryName: "inmemory")
        let task = Task { try await command.run(io: streams.io, sides: sides, logger: Logger(label: "compare-test") { _ in SwiftLogNoOpLogHandler() }) }
        do {
            try await value(of: task, within: 30)
            return (streams, nil)
        } catch let exit as ExitCode {
            return (streams, exit.rawValue)
        }
    }

    @Test func identicalSidesPassAndExitZeroWithJSONAndHTMLReports() async throws {
        let topic = uniqueTopic("compare-clean")
        let (primary, secondary) = Self.sides()
        let sent = Self.messages(30)
        try await Self.send(sent, to: primary, topic: topic)
        try await Self.send(sent.map { message in
            var copy = message
            copy.headers[1] = MessageHeader(name: "hop", value: "secondary")
            return copy
        }, to: secondary, topic: topic)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let jsonPath = directory.appendingPathComponent("report.json").path
        let htmlPath = directory.appendingPathComponent("report.html").path
        let (streams, exitCode) = try await Self.compare([
            "--topic", topic, "--from", "earliest", "--count", "30", "--grace", "0.5", "--ignore-header", "hop", "--json", jsonPath, "--html", htmlPath,
        ])
        #expect(exitCode == nil, "output: \(streams.output.text) errors: \(streams.errors.text)")
        #expect(streams.output.text.contains("compare '\(topic)': primary inmemory vs secondary inmemory"))
        #expect(streams.output.text.contains("verdict: PASS"))
        #expect(streams.errors.text.contains("stopped collecting because the count was reached"))
        let report = try ComparisonReport(json: Array(try Data(contentsOf: URL(fileURLWithPath: jsonPath))))
        #expect(report.matched == 30 && report.mismatches.total == 0 && report.verdict.passed)
        #expect(report.primary.delivered == 30 && report.secondary.delivered == 30)
        #expect(report.run.rules.ignoredHeaders == ["hop"])
        #expect(report.keys.rows.map(\.key) == ["SYM-0", "SYM-1", "SYM-2"])
        let html = try String(contentsOfFile: htmlPath, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains(topic))
    }

    @Test func aMissingAndADifferentMessageFailTheVerdictWithExitStatusTwo() async throws {
        let topic = uniqueTopic("compare-broken")
        let (primary, secondary) = Self.sides()
        let sent = Self.messages(30)
        try await Self.send(sent, to: primary, topic: topic)
        var copies = sent
        copies.remove(at: 7)
        copies[12].payload = Array("price 13 (changed)".utf8)
        try await Self.send(copies, to: secondary, topic: topic)

        let (streams, exitCode) = try await Self.compare(["--topic", topic, "--from", "earliest", "--count", "30", "--grace", "0.5", "--ignore-header", "hop"])
        #expect(exitCode == 2)
        let output = streams.output.text
        #expect(output.contains("missing on secondary (1): \(sent[7].id)"))
        #expect(output.contains("mismatched (1): \(sent[13].id) (payload 8 vs 18 bytes)"))
        #expect(output.contains("verdict: FAIL (missing 1 > 0, mismatched 1 > 0)"))
    }

    @Test func thresholdsCanAllowWhatTheDefaultsRefuse() async throws {
        let topic = uniqueTopic("compare-tolerant")
        let (primary, secondary) = Self.sides()
        let sent = Self.messages(10)
        try await Self.send(sent, to: primary, topic: topic)
        try await Self.send(Array(sent.dropFirst()), to: secondary, topic: topic)
        let (streams, exitCode) = try await Self.compare(["--topic", topic, "--from", "earliest", "--count", "10", "--grace", "0.2", "--max-missing", "1"])
        #expect(exitCode == nil, "output: \(streams.output.text)")
        #expect(streams.output.text.contains("verdict: PASS"))
    }

    @Test func compareRefusesAConfigurationThatIsNotDual() async throws {
        let streams = TestIO()
        let command = try CompareCommand.parse(["--backend", "inmemory", "--topic", "x", "--count", "1"])
        await #expect {
            try await command.run(io: streams.io)
        } throws: { error in
            (error as? SwitchyardError)?.code == .invalidConfiguration && (error as? SwitchyardError)?.message.contains("backend: dual") == true
        }
    }

    @Test func theBenchmarkModeMatchesEverySyntheticPair() async throws {
        let streams = TestIO()
        try await CompareCommand.parse(["--benchmark", "5000", "--benchmark-runs", "1"]).run(io: streams.io)
        #expect(streams.output.text.hasPrefix("compare benchmark: 5000 messages matched (10000 observations)"))
    }
}
