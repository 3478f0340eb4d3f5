import UnixSignals

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A source of raw input bytes, such as standard input.
public protocol InputSource: Sendable {
    /// The next bytes available, at least one; `nil` at the end of the input.
    func read() async throws -> [UInt8]?
}

/// A destination for output bytes, such as standard output. Writes appear in call order.
public protocol OutputSink: Sendable {
    /// Writes the bytes in full.
    func write(_ bytes: [UInt8])
}

extension OutputSink {
    /// Writes the UTF-8 text.
    public func write(_ text: String) {
        write(Array(text.utf8))
    }
}

/// What a command reads from and writes to: its streams, its environment, and the signals that stop it.
///
/// Commands take it as a parameter so tests can run them in-process with captured streams and a chosen
/// environment, through the same code the `switchyard` executable runs. A test stops a long command
/// with a graceful shutdown of the task running it (ServiceLifecycleTestKit's `testGracefulShutdown`).
public struct CommandIO: Sendable {
    /// Message lines for `produce`.
    public var input: any InputSource
    /// The command's product: consumed messages, the effective configuration.
    public var output: any OutputSink
    /// Summaries, logs and errors.
    public var errors: any OutputSink
    /// The environment that `SWITCHYARD_*` variables are read from.
    public var environment: [String: String]
    /// The signals that stop `produce`, `consume`, `compare` and `kafka-mock` early, cleanly: the first
    /// one received starts a graceful shutdown, and while such a command runs they no longer end the
    /// process at once.
    public var gracefulShutdownSignals: [UnixSignal]

    public init(
        input: any InputSource,
        output: any OutputSink,
        errors: any OutputSink,
        environment: [String: String],
        gracefulShutdownSignals: [UnixSignal] = []
    ) {
        self.input = input
        self.output = output
        self.errors = errors
        self.environment = environment
        self.gracefulShutdownSignals = gracefulShutdownSignals
    }

    /// The process's standard input, output and error, its environment, and SIGINT (Ctrl-C) and
    /// SIGTERM as graceful shutdown signals.
    public static var standard: CommandIO {
        CommandIO(
            input: StandardStreams.Input(),
            output: StandardStreams.Output(fileDescriptor: 1),
            errors: StandardStreams.Output(fileDescriptor: 2),
            environment: ProcessInfo.processInfo.environment,
            gracefulShutdownSignals: [.sigint, .sigterm]
        )
    }
}
