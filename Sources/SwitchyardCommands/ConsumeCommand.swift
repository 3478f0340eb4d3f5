import ArgumentParser
import Switchyard

/// `switchyard consume`: prints the messages of a topic and acknowledges each after printing it.
public struct ConsumeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print the messages of a topic, acknowledging each after printing it.",
        discussion: """
            Without --group the consumer has a private group that commits nothing. With --format json \
            each message is one JSON object per line with id, topic, position fields, deliveryAttempt, \
            publishedAt, key, headers (name to value, the last wins for a repeated name), headerList \
            (every [name, value] pair in order) and payload; bytes that are not UTF-8 are Base64, as \
            keyEncoding, headersEncoding and payloadEncoding say. Ctrl-C or SIGTERM stops it cleanly: \
            the consumer leaves its group, messages received but not printed go back to the group, the \
            summary is printed and the exit status is 0.
            """
    )

    /// Where a consumer starts.
    public enum From: String, CaseIterable, Sendable, ExpressibleByArgument {
        case earliest
        case latest
        case committed
    }

    @OptionGroup public var global: GlobalOptions

    @Option(help: "The topic to read.")
    public var topic: String

    @Option(help: "The consumer group; without it, a private group.")
    public var group: String?

    @Option(help: "Where to start: earliest, latest or committed (default: earliest without --group, committed with it).")
    public var from: From?

    @Option(help: "Stop after this many messages.")
    public var count: Int?

    @Option(help: ArgumentHelp("Stop after this many seconds without a message; with --count, that is a failure.", valueName: "seconds"))
    public var timeout: Double?

    @Option(help: "text or json.")
    public var format: MessageFormat = .text

    public init() {}

    public func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the command on `io`. Throws ``SwitchyardError/Code/timeout`` when `--count` messages did not
    /// arrive before `--timeout`. A stop request (Ctrl-C, SIGTERM) ends it without an error: the
    /// consumer is closed, so deliveries not yet printed go back to the group, and the summary printed.
    public func run(io: CommandIO) async throws {
        try await CommandSession.run(global, io: io) { session in
            let start: StartPosition
            switch from ?? (group == nil ? .earliest : .committed) {
            case .earliest: start = .earliest
            case .latest: start = .latest
            case .committed: start = .committed
            }
            try await session.ensureTopicIfNeeded(topic)
            let consumer = try await session.client.makeConsumer(
                topic: topic,
                options: ConsumerOptions(group: group, startPosition: start, prefetch: min(count ?? Self.batchLimit, Self.batchLimit))
            )
            let idleLimit = timeout.map { Duration.milliseconds(Int64(($0 * 1000).rounded(.up))) }
            let (consumed, stopped) = try await io.runUntilShutdown(logger: session.logger) { [count, format, output = io.output] in
                try await Self.printMessages(from: consumer, count: count, idleLimit: idleLimit, format: format, to: output)
            }
            try await consumer.close()
            io.errors.write("consume: \(consumed) message\(consumed == 1 ? "" : "s") from '\(topic)'\(stopped ? " (stopped early on request)" : "")\n")
            if !stopped, let count, consumed < count {
                throw SwitchyardError(
                    .timeout,
                    "Received \(consumed) of \(count) messages from '\(topic)' before \(timeout ?? 0) s passed without a message. Check the topic and --from, or raise --timeout."
                )
            }
        }
    }

    private static let batchLimit = 100

    /// Prints and acknowledges messages until `count` are done or none arrives within `idleLimit`.
    /// Each batch is acked at once, after it is printed. When its task is cancelled it stops before the
    /// next message, acks what it printed and returns how many that was; the deliveries it leaves
    /// unsettled go back to the group when the consumer closes.
    private static func printMessages(from consumer: Consumer, count: Int?, idleLimit: Duration?, format: MessageFormat, to output: any OutputSink) async throws -> Int {
        var consumed = 0
        while count.map({ consumed < $0 }) ?? true {
            let wanted = min(batchLimit, count.map { $0 - consumed } ?? batchLimit)
            guard let batch = try await nextBatch(from: consumer, max: wanted, within: idleLimit) else { break }
            var printed = 0
            for delivery in batch {
                if Task.isCancelled { break }
                output.write(format.render(delivery))
                printed += 1
            }
            try await consumer.ack(Array(batch.prefix(printed)))
            consumed += printed
            if printed < batch.count { break }
        }
        return consumed
    }

    /// The next batch; `nil` when `limit` passes with nothing to deliver, or when the task is cancelled
    /// while it waits.
    private static func nextBatch(from consumer: Consumer, max: Int, within limit: Duration?) async throws(SwitchyardError) -> [Delivery]? {
        do {
            let batch = if let limit {
                try await consumer.receive(max: max, timeout: limit)
            } else {
                try await consumer.receive(maxMessages: max)
            }
            return batch.isEmpty ? nil : batch
        } catch where error.code == .cancelled {
            return nil
        }
    }
}
