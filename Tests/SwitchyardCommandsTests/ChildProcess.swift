import Dispatch
import Foundation
import Switchyard

@testable import SwitchyardCommands
import SwitchyardBench

#if canImport(Glibc)
import Glibc
#endif

/// A program run by a test as a child process, with its standard output read line by line.
final class ChildProcess {
    /// The `switchyard` executable that `swift build` put beside the test bundle.
    static var switchyardExecutable: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("switchyard").path
    }

    private let process: Process
    private let lines: AsyncStream<String>
    private let exit: AsyncStream<Int32>

    /// Starts `executable`; fails when it does not exist, so a test needing it fails rather than skips.
    init(_ executable: String, _ arguments: [String], input: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw SwitchyardError(.internalError, "\(executable) is missing. Build it first (swift build builds every product).")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        let (exit, exited) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.yield(finished.terminationStatus)
            exited.finish()
        }
        let (lines, output) = AsyncStream<String>.makeStream()
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Blocking reads run off Swift's cooperative pool.
        DispatchQueue.global().async {
            var pending = Data()
            while case let chunk = stdout.fileHandleForReading.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    output.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending = Data(pending[(newline + 1)...])
                }
            }
            if !pending.isEmpty { output.yield(String(decoding: pending, as: UTF8.self)) }
            output.finish()
        }
        self.process = process
        self.lines = lines
        self.exit = exit
    }

    /// The next line of standard output; `nil` once it has ended. Fails after `seconds`.
    func nextLine(within seconds: Double) async throws -> String? {
        try await BenchDeadline.run(seconds: seconds, phase: "a line from the child process") { [lines] in
            var iterator = lines.makeAsyncIterator()
            return await iterator.next()
        }
    }

    /// Every remaining line of standard output, until it ends. Fails after `seconds`.
    func remainingLines(within seconds: Double) async throws -> [String] {
        try await BenchDeadline.run(seconds: seconds, phase: "the child process's output") { [lines] in
            var all: [String] = []
            for await line in lines { all.append(line) }
            return all
        }
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// The exit status; fails after `seconds`, killing the process.
    func exitStatus(within seconds: Double) async throws -> Int32 {
        do {
            return try await BenchDeadline.run(seconds: seconds, phase: "the child process's exit") { [exit] in
                var status: Int32 = -1
                for await code in exit { status = code }
                return status
            }
        } catch {
            send(SIGKILL)
            throw error
        }
    }

    /// Runs `executable` to its end and returns its exit status and output lines; fails after `seconds`.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, within seconds: Double = 30) async throws -> (status: Int32, lines: [String]) {
        let child = try ChildProcess(executable, arguments, input: input)
        let lines = try await child.remainingLines(within: seconds)
        return (try await child.exitStatus(within: seconds), lines)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
