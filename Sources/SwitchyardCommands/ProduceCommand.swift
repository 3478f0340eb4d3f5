import ArgumentParser
import Logging
import Switchyard

/// `switchyard produce`: sends one message per line of standard input, or generated messages.
public struct ProduceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send messages to a topic: one per line of standard input, or --count generated ones.",
        discussion: """
            Each input line, without its newline, is one payload; the bytes are sent exactly, so lines \
            need not be UTF-8. Lines already read are sent in batches. A line longer than the backend \
            accepts is not sent and is reported by its line number; the lines after it still are. \
            Ctrl-C or SIGTERM stops reading, drains what was sent and prints the summary. The command \
            exits with a non-zero status when any message was not acknowledged, and prints a summary \
            to stderr.
            """
    )

    @OptionGroup public var global: GlobalOptions

    @Option(help: "The topic to send to.")
    public var topic: String

    @Option(help: "The key of every message, as UTF-8 text.")
    public var key: String?

    @Option(name: .customLong("header"), help: ArgumentHelp("A header added to every message. Repeatable.", valueName: "name=value"))
    public var headers: [String] = []

    @Option(help: "Send this many generated messages instead of reading standard input.")
    public var count: Int?

    @Option(help: "The payload size in bytes of generated messages (default 100).")
    public var size: Int?

    @Option(help: "The most messages sent in one batch.")
    public var batchSize: Int = 100

    public init() {}

    public func validate() throws {
        if size != nil && count == nil {
            throw ValidationError("--size applies to generated messages; give --count too.")
        }
        if let count, count < 0 { throw ValidationError("--count must be 0 or more.") }
        if let size, size < 0 { throw ValidationError("--size must be 0 or more.") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
        _ = try parsedHeaders()
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the command on `io`. Throws ``SwitchyardError/Code/messageTooLarge`` before sending anything
    /// when `--size` exceeds what the backend accepts, and `ExitCode.failure` after printing the summary
    /// when any message was not acknowledged. A stop request (Ctrl-C, SIGTERM) ends it cleanly: nothing
    /// more is read or generated, what was sent is drained, and the summary is printed.
    public func run(io: CommandIO) async throws {
        let template = Message(key: key.map { Array($0.utf8) }, payload: [], headers: try parsedHeaders())
        try await CommandSession.run(global, io: io) { session in
            let limits = session.client.backend.limits
            let payloadLimit = max(0, limits.maxMessageBytes - template.encodedSize)
            if let size, size > payloadLimit {
                throw SwitchyardError(
                    .messageTooLarge,
                    "--size \(size) is more than the \(payloadLimit) payload bytes a message can have here: the backend accepts \(limits.maxMessageBytes) bytes per message (\(limits.maxMessageBytesKey)), key and headers included. Lower --size, or raise \(limits.maxMessageBytesKey)."
                )
            }
            try await session.ensureTopicIfNeeded(topic)
            let producer = try await session.client.makeProducer()
            let sender = ProduceSender(topic: topic, template: template, producer: producer, logger: session.logger, batchSize: batchSize)
            let (tally, stopped) = try await io.runUntilShutdown(logger: session.logger) { [count, size, input = io.input] in
                if let count {
                    return await sender.sendGenerated(count: count, size: size ?? 100)
                }
                let reader = LineReader(input, maxLineBytes: payloadLimit)
                return try await sender.sendLines(from: reader, limits: limits, payloadLimit: payloadLimit)
            }
            try await producer.close()
            io.errors.write(tally.summary() + (stopped ? " (stopped early on request)" : "") + "\n")
            if tally.failed > 0 { throw ExitCode.failure }
        }
    }

    func parsedHeaders() throws -> [MessageHeader] {
        try headers.map { text in
            guard let header = Assignment(text) else {
                throw ValidationError(Assignment.problem(with: text, flag: "--header", form: "name=value"))
            }
            if MessageHeader.reservedNames.contains(header.name) {
                throw ValidationError("--header '\(header.name)' is reserved for the wire format; use another name.")
            }
            return MessageHeader(name: header.name, value: header.value)
        }
    }
}
