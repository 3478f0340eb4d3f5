import Foundation

/// Runs another program to completion without blocking Swift's cooperative pool.
package enum ChildProgram {
    /// What a finished program left.
    package struct Outcome: Sendable {
        package var status: Int32
        package var output: Data
        package var errors: Data

        /// Standard error as trimmed text, for error messages.
        package var errorText: String {
            String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Runs `executable` with `arguments` and waits for it to end, reading its standard output and
    /// standard error on threads of their own. Cancelling the task terminates the program.
    ///
    /// - Parameter searchPath: extra directories appended to `PATH`, for an `executable` named without a
    ///   slash, which is looked up through `/usr/bin/env`.
    /// - Throws: what `Process.run()` throws when the program cannot start.
    package static func run(_ executable: String, _ arguments: [String], searchPath: [String] = []) async throws -> Outcome {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if !searchPath.isEmpty {
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = ([environment["PATH"]].compactMap { $0 } + searchPath).joined(separator: ":")
            process.environment = environment
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.continuation.yield(finished.terminationStatus)
            exited.continuation.finish()
        }
        try process.run()
        return await withTaskCancellationHandler {
            async let outputData = readToEnd(output)
            async let errorData = readToEnd(errors)
            let (outputBytes, errorBytes) = await (outputData, errorData)
            var status: Int32 = -1
            for await code in exited.stream { status = code }
            return Outcome(status: status, output: outputBytes, errors: errorBytes)
        } onCancel: {
            process.terminate()
        }
    }

    /// Everything `pipe` delivers until its writer closes, read on a thread of its own: on Linux,
    /// Dispatch's global queues share their threads with Swift's cooperative pool, which a blocking
    /// read would hold for the child's whole run.
    private static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }.start()
        }
    }
}
