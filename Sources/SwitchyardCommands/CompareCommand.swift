import ArgumentParser
import Logging
import Switchyard
import SwitchyardBench
import SwitchyardMigration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `switchyard compare`: the shadow comparison of a migration. Reads one topic from both sides of a
/// dual-write configuration, matches the messages by id, and judges the differences against thresholds,
/// so a script can gate a cutover on its exit status.
public struct CompareCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare what both sides of a dual write deliver for a topic; exit non-zero when they differ beyond the thresholds.",
        discussion: """
            Needs backend: dual; reads dual.primary and dual.secondary directly (never the dual-write \
            backend), each with its own consumer: a private group per side unless --group is given, so \
            live consumer groups are untouched. Messages are matched by id; a copy may arrive up to \
            --grace seconds after the other side's. Collecting stops at --count (either side), \
            --duration, or --timeout without a message; the sides then get --grace to deliver what they \
            owe. Messages published outside that window and seen on one side only are unexpected, not \
            missing. The summary goes to standard output, progress (on a terminal) to standard error. \
            Exit status: 0 when the verdict passes, 2 when it fails, 1 on any other error. \
            --benchmark N measures the comparator alone on N synthetic message pairs.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: "The topic to compare.")
    public var topic: String?

    @Option(help: "Where both sides start: latest, earliest (needs replay on both sides) or committed (with --group).")
    public var from: ConsumeCommand.From = .latest

    @Option(help: "A consumer group to read both sides with, e.g. switchyard-compare; without it, a private group per side that leaves nothing behind.")
    public var group: String?

    @Option(help: ArgumentHelp("Stop collecting once either side has delivered this many messages.", valueName: "messages"))
    public var count: Int?

    @Option(help: ArgumentHelp("Stop collecting after this many seconds.", valueName: "seconds"))
    public var duration: Double?

    @Option(help: ArgumentHelp("Stop collecting after this many seconds without a message (default 10 with --count alone).", valueName: "seconds"))
    public var timeout: Double?

    @Option(help: ArgumentHelp("How late the second copy of a message may arrive after the first.", valueName: "seconds"))
    public var grace: Double = 5

    @Option(name: .customLong("ignore-header"), help: ArgumentHelp("A header that may differ by design; a trailing * matches a prefix. Repeatable.", valueName: "name"))
    public var ignoredHeaders: [String] = []

    @Option(help: ArgumentHelp("A header the dual writer sets; a one-sided message without it is unexpected, not missing.", valueName: "name"))
    public var requireHeader: String?

    @Option(help: "The most missing messages allowed, both sides together.")
    public var maxMissing: Int = 0

    @Option(help: "The most mismatched messages allowed.")
    public var maxMismatched: Int = 0

    @Option(help: "The most messages allowed to arrive after the grace window.")
    public var maxLate: Int = 0

    @Option(help: "The most per-key order inversions allowed.")
    public var maxInversions: Int = 0

    @Option(help: "The most unexpected messages allowed (default: not gated).")
    public var maxUnexpected: Int?

    @Option(help: "The most duplicate deliveries allowed (default: not gated; at-least-once allows them).")
    public var maxDuplicates: Int?

    @Option(name: .customLong("max-p99-skew-ms"), help: ArgumentHelp("The largest difference between the sides' p99 latencies (default: not gated).", valueName: "ms"))
    public var maxP99SkewMilliseconds: Double?

    @Option(help: "The fewest matched messages for a pass.")
    public var minMatched: Int = 1

    @Option(help: ArgumentHelp("Write the report as JSON to this file.", valueName: "file"))
    public var json: String?

    @Option(help: ArgumentHelp("Write the report as a self-contained HTML page to this file.", valueName: "file"))
    public var html: String?

    @Option(help: ArgumentHelp("Measure the comparator alone on this many synthetic message pairs, then exit.", valueName: "messages"))
    public var benchmark: Int?

    @Option(help: "With --benchmark, how many runs; the median is printed.")
    public var benchmarkRuns: Int = 3

    public init() {}

    public func validate() throws {
        if let benchmark {
            if benchmark < 1 { throw ValidationError("--benchmark must be at least 1.") }
            if benchmarkRuns < 1 { throw ValidationError("--benchmark-runs must be at least 1.") }
            return
        }
        if topic == nil { throw ValidationError("--topic is required.") }
        if count == nil && duration == nil && timeout == nil {
            throw ValidationError("Give --count, --duration or --timeout, so the comparison knows when to stop collecting.")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds.") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
        if !(grace >= 0) { throw ValidationError("--grace must be 0 or more seconds.") }
        if from == .committed && group == nil { throw ValidationError("--from committed needs --group: a private group has no committed position.") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the comparison on `io`. Throws `ExitCode(2)` when the verdict fails, after printing the
    /// summary and writing the report files.
    public func run(io: CommandIO) async throws {
        if let benchmark {
            io.output.write(try ComparatorBenchmark.run(pairs: benchmark, runs: benchmarkRuns).summary)
            return
        }
        let settings = try global.resolve(environment: io.environment).settings
        let logger = SinkLogHandler.logger(level: settings.log.level, sink: io.errors)
        try await run(io: io, sides: try await CompareSides.make(settings, logger: logger), logger: logger)
    }

    /// Runs the comparison on `io` over `sides`: what ``run(io:)`` does once it has built the sides from
    /// the configuration. Tests pass two in-memory brokers of one process here.
    func run(io: CommandIO, sides: CompareSides, logger: Logger) async throws {
        guard let topic else { throw ValidationError("--topic is required.") }
        let primaryClient = SwitchyardClient(backend: sides.primary, logger: logger)
        let secondaryClient = SwitchyardClient(backend: sides.secondary, logger: logger)
        do {
            let report = try await compare(topic, sides: sides, clients: (primaryClient, secondaryClient), io: io, logger: logger)
            try await primaryClient.shutdown()
            try await secondaryClient.shutdown()
            if !report.verdict.passed { throw ExitCode(2) }
        } catch {
            for client in [primaryClient, secondaryClient] {
                do {
                    try await client.shutdown()
                } catch let shutdownError {
                    logger.warning("Shutting down after a failure failed too", metadata: ["error": "\(shutdownError)"])
                }
            }
            throw error
        }
    }

    private func compare(_ topic: String, sides: CompareSides, clients: (SwitchyardClient, SwitchyardClient), io: CommandIO, logger: Logger) async throws -> ComparisonReport {
        let start: StartPosition
        switch from {
        case .earliest: start = .earliest
        case .latest: start = .latest
        case .committed: start = .committed
        }
        var consumers: [Consumer] = []
        for client in [clients.0, clients.1] {
            if !client.backend.capabilities.contains(.autoCreateTopics) {
                try await client.ensureTopic(TopicSpec(name: topic))
            }
            let ordering: ConsumerOptions.Ordering = client.backend.capabilities.contains(.orderedPerKey) ? .perKey : .none
            consumers.append(try await client.makeConsumer(topic: topic, options: ConsumerOptions(group: group, startPosition: start, prefetch: 1000, ordering: ordering)))
        }
        let windowStart = from == .latest ? WallClock.nowMicroseconds() : nil
        let collection = ComparisonCollection(
            comparator: ShadowComparator(configuration: comparisonConfiguration(topic, sides: sides, windowStart: windowStart)), logger: logger
        )
        let plan = ComparisonCollection.Plan(
            count: count,
            duration: duration.map(Self.duration),
            idleLimit: (timeout ?? (duration == nil ? 10 : nil)).map(Self.duration),
            grace: Self.duration(grace)
        )
        let progress = io.errors.progressLine
        _ = try await io.runUntilShutdown(logger: logger) { [consumers] in
            try await collection.run(primary: consumers[0], secondary: consumers[1], plan: plan, progress: { progress.show($0) })
        }
        progress.clear()
        for consumer in consumers { try await consumer.close() }
        let (report, ending) = collection.finish(at: WallClock.nowMicroseconds())
        io.errors.write("compare: stopped collecting because \(ending.rawValue)\n")
        io.output.write(report.textSummary())
        if let json { try ReportFile.write(try report.json(), to: json, flag: "--json") }
        if let html { try ReportFile.write(Array(try report.htmlPage().utf8), to: html, flag: "--html") }
        return report
    }

    private func comparisonConfiguration(_ topic: String, sides: CompareSides, windowStart: Int64?) -> ComparisonConfiguration {
        ComparisonConfiguration(
            topic: topic,
            primaryBackend: sides.primaryName,
            secondaryBackend: sides.secondaryName,
            graceMicroseconds: Int64((grace * 1_000_000).rounded()),
            windowStart: windowStart,
            rules: ComparisonRules(ignoredHeaders: ignoredHeaders, requiredHeader: requireHeader),
            thresholds: ComparisonThresholds(
                maxMissing: maxMissing,
                maxMismatched: maxMismatched,
                maxLate: maxLate,
                maxOrderInversions: maxInversions,
                maxUnexpected: maxUnexpected,
                maxDuplicates: maxDuplicates,
                maxP99SkewMilliseconds: maxP99SkewMilliseconds,
                minMatched: minMatched
            )
        )
    }

    private static func duration(_ seconds: Double) -> Duration {
        .microseconds(Int64((seconds * 1_000_000).rounded()))
    }
}
