import ArgumentParser
import Foundation
import Switchyard
import Testing

@testable import SwitchyardCommands
import SwitchyardBench
import SwitchyardTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where Debian installs kcat, the interop peer; a missing kcat fails these tests.
private let kcat = "/usr/bin/kcat"

/// The `kafka-mock` command and the commands on `backend: kafka`, against librdkafka's mock cluster.
@Suite(.serialized, .timeLimit(.minutes(3))) struct KafkaCommandTests {
    @Test func kafkaMockPrintsItsServersFirstServesKcatAndExitsZeroOnSIGINT() async throws {
        let mock = try ChildProcess(try ChildProcess.switchyardExecutable(), ["kafka-mock", "--brokers", "3", "--topic", "greetings:2"])
        let servers = try #require(try await mock.nextLines(1, within: .seconds(30)).first)
        #expect(servers.split(separator: ",").count == 3)

        let metadata = try await ChildProcess.run(kcat, ["-b", servers, "-L", "-t", "greetings"])
        #expect(metadata.termination.succeeded)
        #expect(metadata.lines.contains { $0.contains("topic \"greetings\" with 2 partitions") }, "\(metadata.lines)")

        let produced = try await ChildProcess.run(kcat, ["-b", servers, "-P", "-t", "greetings", "-K", ":"], input: "k1:one\nk2:two\nk1:three\n")
        #expect(produced.termination.succeeded)
        let consumed = try await ChildProcess.run(kcat, ["-b", servers, "-C", "-t", "greetings", "-o", "beginning", "-c", "3", "-e", "-q", "-f", "%k=%s\\n"])
        #expect(consumed.termination.succeeded)
        #expect(consumed.lines.sorted() == ["k1=one", "k1=three", "k2=two"])
        #expect(consumed.lines.filter { $0.hasPrefix("k1=") } == ["k1=one", "k1=three"])

        let started = ContinuousClock.now
        mock.send(SIGINT)
        #expect(try await mock.termination(within: .seconds(10)).succeeded)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func produceAndConsumeRunOnKafkaFromTheEnvironment() async throws {
        let mock = try ChildProcess(try ChildProcess.switchyardExecutable(), ["kafka-mock", "--brokers", "1", "--topic", "cli:3"])
        let servers = try #require(try await mock.nextLines(1, within: .seconds(30)).first)
        let environment = ["SWITCHYARD_BACKEND": "kafka", "SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS": servers]

        let produced = TestIO(input: [Array("first\nsecond\nthird\n".utf8)], environment: environment)
        try await ProduceCommand.parse(["--topic", "cli", "--key", "k"]).run(io: produced.io)
        #expect(produced.errors.text.contains("produce: 3 of 3 messages acknowledged on 'cli'"), "\(produced.errors.text)")

        let consumed = TestIO(environment: environment)
        try await ConsumeCommand.parse(["--topic", "cli", "--count", "3", "--timeout", "30", "--format", "json"]).run(io: consumed.io)
        let messages = try ConsumedJSON.lines(consumed.output.text)
        #expect(messages.map(\.payload) == ["first", "second", "third"])
        #expect(messages.allSatisfy { $0.topic == "cli" && $0.key == "k" })

        let fromKcat = try await ChildProcess.run(kcat, ["-b", servers, "-C", "-t", "cli", "-o", "beginning", "-c", "3", "-e", "-q"])
        #expect(fromKcat.lines == ["first", "second", "third"])

        mock.send(SIGTERM)
        #expect(try await mock.termination(within: .seconds(10)).succeeded)
    }

    @Test func aTopicWithoutAPartitionCountOrWithABadOneIsRefusedClearly() {
        for (argument, expected) in [
            ("orders", "--topic 'orders' has no partition count. Write NAME:PARTITIONS"),
            ("orders:x", "the partition count 'x' is not a whole number from 1 to 10000"),
            ("orders:0", "the partition count '0' is not a whole number"),
            ("bad name:3", "contains ' '"),
            (":3", "The topic name is empty"),
        ] {
            do {
                _ = try KafkaMockCommand.parse(["--topic", argument])
                Issue.record("--topic \(argument) was accepted")
            } catch {
                let message = KafkaMockCommand.message(for: error)
                #expect(message.contains(expected), "--topic \(argument): \(message)")
            }
        }
        #expect(throws: (any Error).self) { try KafkaMockCommand.parse(["--brokers", "0"]) }
        #expect(throws: Never.self) { try KafkaMockCommand.parse(["--topic", "a.b-c_d:12", "--topic", "x:1"]) }
    }

    @Test func theDemoOnKafkaWithoutServersRunsOnAnInProcessMockAndLosesNothing() async throws {
        let demo = TestIO()
        try await DemoCommand.parse(["--backend", "kafka", "--seconds", "2", "--symbols", "3", "--seed", "7"]).run(io: demo.io)
        let summary = try #require(demo.output.text.split(separator: "\n").last.map(String.init))
        #expect(summary.hasPrefix("summary published="), "\(summary)")
        #expect(summary.contains(" lost=0 "), "\(summary)")
        #expect(!summary.contains("published=0 "), "\(summary)")
        #expect(summary.hasSuffix(" gateway_lost=0"), "the gateway's gRPC subscriber gets every price: \(summary)")
    }

    @Test func benchOnKafkaMeasuresSwitchyardAndTheRawLibrdkafkaBaselineOnOneCluster() async throws {
        let baseline = FileManager.default.temporaryDirectory.appendingPathComponent("rdkafka-baseline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Benchmarks/rdkafka-baseline.c").standardized.path
        let flags = try await ChildProcess.run("/usr/bin/pkg-config", ["--cflags", "--libs", "rdkafka"])
        let compiled = try await ChildProcess.run("/usr/bin/cc", ["-O2", "-o", baseline, source] + flags.lines.joined(separator: " ").split(separator: " ").map(String.init), within: .seconds(120))
        try #require(compiled.termination.succeeded)

        let output = CapturedOutput()
        let command = try BenchCommand.parse([
            "--backend", "kafka", "--messages", "3000", "--runs", "1", "--rate", "1000", "--rate-seconds", "0.5", "--rdkafka-baseline", baseline, "--json",
        ])
        try await command.run(io: CommandIO(input: ChunkedInput([]), output: output, errors: CapturedOutput(), environment: [:]))
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(output.text.utf8))
        #expect(report.backend == "kafka")
        #expect(report.messages == 3000 && report.partitions == 6 && report.size == 100)
        #expect(report.asyncStream == nil)
        #expect(report.switchyard.produce > 0 && report.switchyard.consume > 0 && report.switchyard.pipeline > 0)
        #expect((report.switchyard.rateP99Ms ?? -1) >= (report.switchyard.rateP50Ms ?? 0))
        #expect((report.switchyard.rateAchieved ?? 0) > 500)
        let rdkafka = try #require(report.rdkafka)
        #expect(rdkafka.produce > 0 && rdkafka.consume > 0)
        let ratio = try #require(report.rdkafkaRatio)
        #expect(abs(ratio.produce - report.switchyard.produce / rdkafka.produce) < 1e-9)
        #expect(abs(ratio.consume - report.switchyard.consume / rdkafka.consume) < 1e-9)
    }

    @Test func theRdkafkaBaselineIsRefusedOffKafka() async throws {
        let errors = CapturedOutput()
        let command = try BenchCommand.parse(["--backend", "inmemory", "--messages", "10", "--runs", "1", "--rate", "0", "--rdkafka-baseline", "/bin/true"])
        await #expect(throws: SwitchyardError.self) {
            try await command.run(io: CommandIO(input: ChunkedInput([]), output: CapturedOutput(), errors: errors, environment: [:]))
        }
    }
}
