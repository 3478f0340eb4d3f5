import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program a test runs as a child process: its standard output arrives line by line, its standard
/// error is collected, and every wait on it has a deadline, so a child that hangs fails the test
/// instead of stalling it. A child still running when this is dropped is killed.
public final class ChildProcess {
    /// How a child process ended.
    public struct Termination: Sendable, Equatable, CustomStringConvertible {
        /// The exit status, or the number of the signal that ended the process.
        public let status: Int32
        /// Whether a signal ended the process.
        public let bySignal: Bool

        /// Whether the process exited with status 0.
        public var succeeded: Bool { status == 0 && !bySignal }

        public var description: String { bySignal ? "signal \(status)" : "exit status \(status)" }
    }

    /// Everything a child process did, once it has ended.
    public struct Finished: Sendable {
        public let termination: Termination
        /// Standard output, line by line, without the line ends.
        public let lines: [String]
        /// Standard error.
        public let errors: String

        /// Standard output, its lines joined with line feeds.
        public var output: String { lines.joined(separator: "\n") }
    }

    private let process: Process
    private let lines: AsyncStream<String>
    private let errorText: AsyncStream<String>
    private let termination: AsyncStream<Termination>

    /// The child's process id, for reading its `/proc` entries.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Starts `executable` with `arguments`, writes `input` to its standard input and closes it.
    ///
    /// `environment`, when given, replaces the test's environment. Fails when `executable` does not
    /// exist, so a test that needs a program fails rather than skips without it.
    public init(_ executable: String, _ arguments: [String], input: String = "", environment: [String: String]? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ChildProcessError(description: "\(executable) is missing or not executable; install it or build it first.")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let standardInput = Pipe()
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        let (termination, terminated) = AsyncStream<Termination>.makeStream()
        process.terminationHandler = { ended in
            terminated.yield(Termination(status: ended.terminationStatus, bySignal: ended.terminationReason == .uncaughtSignal))
            terminated.finish()
        }
        try process.run()
        let (lines, line) = AsyncStream<String>.makeStream()
        let (errorText, error) = AsyncStream<String>.makeStream()
        // Blocking reads and writes run on threads of their own. Not on Swift's cooperative pool, and
        // not on Dispatch's global queues either: on Linux those are the pool's threads too, and
        // readers blocked there for a child's lifetime starved every test beside them. Both outputs
        // are drained at once, so a child that fills one pipe never stalls on it.
        Self.onThreadOfItsOwn {
            var pending = Data()
            while case let chunk = standardOutput.fileHandleForReading.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    line.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending = Data(pending[(newline + 1)...])
                }
            }
            if !pending.isEmpty { line.yield(String(decoding: pending, as: UTF8.self)) }
            line.finish()
        }
        Self.onThreadOfItsOwn {
            error.yield(String(decoding: standardError.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            error.finish()
        }
        Self.onThreadOfItsOwn {
            standardInput.fileHandleForWriting.write(Data(input.utf8))
            try? standardInput.fileHandleForWriting.close()
        }
        self.process = process
        self.lines = lines
        self.errorText = errorText
        self.termination = termination
    }

    /// Runs `body` on a new thread that ends with it.
    private static func onThreadOfItsOwn(_ body: @escaping @Sendable () -> Void) {
        Thread(block: body).start()
    }

    /// The `switchyard` executable that `swift build` put beside the test bundle.
    ///
    /// - Throws: `ChildProcessError` when it is not there.
    public static func switchyardExecutable() throws -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("switchyard").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ChildProcessError(description: "switchyard was not found next to \(CommandLine.arguments[0]); swift build builds it")
    }

    /// Runs `executable` to its end and returns what it wrote and how it ended; fails, killing it,
    /// when it takes longer than `limit`.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: String = "",
        environment: [String: String]? = nil,
        within limit: Duration = .seconds(30)
    ) async throws -> Finished {
        let child = try ChildProcess(executable, arguments, input: input, environment: environment)
        let name = ([executable] + arguments).joined(separator: " ")
        let deadline = ContinuousClock.now + limit
        let lines = try await child.remainingLines(within: deadline - .now, "\(name) closing its output")
        let errors = try await child.errors(within: deadline - .now)
        return Finished(termination: try await child.termination(within: deadline - .now), lines: lines, errors: errors)
    }

    /// The next `count` lines of standard output, or fewer when it ends first.
    public func nextLines(_ count: Int, within limit: Duration) async throws -> [String] {
        try await SwitchyardTestSupport.within(limit, "the child process writing \(count) lines") { [lines] in
            var taken: [String] = []
            var iterator = lines.makeAsyncIterator()
            while taken.count < count, let line = await iterator.next() {
                taken.append(line)
            }
            return taken
        }
    }

    /// Every line of standard output not read yet, until it ends.
    public func remainingLines(within limit: Duration, _ what: String = "the child process closing its output") async throws -> [String] {
        try await SwitchyardTestSupport.within(limit, what) { [lines] in
            var all: [String] = []
            for await line in lines { all.append(line) }
            return all
        }
    }

    /// Everything written to standard error, once it has ended.
    public func errors(within limit: Duration) async throws -> String {
        try await SwitchyardTestSupport.within(limit, "the child process closing its standard error") { [errorText] in
            var all = ""
            for await text in errorText { all += text }
            return all
        }
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// How the process ended; fails, killing it, when it has not ended within `limit`.
    public func termination(within limit: Duration) async throws -> Termination {
        do {
            return try await SwitchyardTestSupport.within(limit, "the child process ending") { [termination] in
                for await ended in termination { return ended }
                throw ChildProcessError(description: "The child process's end was already awaited; await termination(within:) once.")
            }
        } catch {
            send(SIGKILL)
            throw error
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A child process that could not be started or followed.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
}
