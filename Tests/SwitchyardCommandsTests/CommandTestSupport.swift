import Foundation
import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration

@testable import SwitchyardCommands
import SwitchyardBench

/// An ``OutputSink`` that keeps everything written to it.
final class CapturedOutput: OutputSink {
    private struct State {
        var bytes: [UInt8] = []
        /// Told of every write, by ``waitForText(within:until:)``.
        var watchers: [AsyncStream<Void>.Continuation] = []
    }

    private let state = LockedValue(State())

    func write(_ bytes: [UInt8]) {
        let watchers = state.withLock { state in
            state.bytes += bytes
            return state.watchers
        }
        for watcher in watchers { watcher.yield() }
    }

    var text: String {
        state.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Returns once the text written so far satisfies `condition`, checking after every write; fails
    /// after `seconds`.
    func waitForText(within seconds: Double, until condition: @escaping @Sendable (String) -> Bool) async throws {
        try await BenchDeadline.run(seconds: seconds, phase: "the expected output") {
            let (writes, watcher) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            self.state.withLock { $0.watchers.append(watcher) }
            if condition(self.text) { return }
            for await _ in writes where condition(self.text) { return }
        }
    }
}

/// An ``InputSource`` that yields fixed chunks, then ends.
final class ChunkedInput: InputSource {
    private let chunks: LockedValue<[[UInt8]]>

    init(_ chunks: [[UInt8]]) {
        self.chunks = LockedValue(chunks)
    }

    func read() async throws -> [UInt8]? {
        chunks.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// Streams and an environment for running a command in-process.
struct TestIO {
    let output = CapturedOutput()
    let errors = CapturedOutput()
    let io: CommandIO

    init(input: [[UInt8]] = [], environment: [String: String] = [:]) {
        self.init(input: ChunkedInput(input), environment: environment)
    }

    init(input: any InputSource, environment: [String: String] = [:]) {
        io = CommandIO(input: input, output: output, errors: errors, environment: environment)
    }
}

/// A topic name no other test uses.
func uniqueTopic(_ label: String) -> String {
    "\(label)-\(UUID().uuidString.lowercased())"
}

/// One line of `consume --format json` output.
struct ConsumedJSON: Decodable {
    let id: String
    let topic: String
    let partition: Int?
    let offset: Int?
    let deliveryAttempt: Int
    let publishedAt: Int64?
    let key: String?
    let keyEncoding: String?
    let headers: [String: String]
    let headerList: [[String]]
    let headersEncoding: String
    let payload: String
    let payloadEncoding: String

    /// Decodes a value the way its encoding field says.
    static func bytes(_ text: String, encoding: String) -> [UInt8]? {
        switch encoding {
        case "utf8": Array(text.utf8)
        case "base64": Data(base64Encoded: text).map(Array.init)
        default: nil
        }
    }

    var payloadBytes: [UInt8]? { Self.bytes(payload, encoding: payloadEncoding) }
    var keyBytes: [UInt8]? { key.flatMap { Self.bytes($0, encoding: keyEncoding ?? "") } }
    var headerBytes: [String: [UInt8]] { headers.compactMapValues { Self.bytes($0, encoding: headersEncoding) } }

    static func lines(_ output: String) throws -> [ConsumedJSON] {
        try output.split(separator: "\n").map { try JSONDecoder().decode(ConsumedJSON.self, from: Data($0.utf8)) }
    }
}

/// The backend the commands use with no configuration: the process-wide in-memory broker.
func defaultBackend() async throws -> any MessagingBackend {
    let settings = try GlobalOptions.parse([]).resolve(environment: [:]).settings
    return try await BackendFactory.makeBackend(settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// An ``InputSource`` that yields `chunk`, then calls `whenDrained` and waits until it is cancelled,
/// which it throws.
final class StallingInput: InputSource {
    private let chunk: LockedValue<[UInt8]?>
    private let whenDrained: @Sendable () -> Void

    init(_ chunk: [UInt8], whenDrained: @escaping @Sendable () -> Void) {
        self.chunk = LockedValue(chunk)
        self.whenDrained = whenDrained
    }

    func read() async throws -> [UInt8]? {
        if let first = chunk.withLock({ value in defer { value = nil }; return value }) { return first }
        whenDrained()
        let (never, cancelled) = AsyncStream<Never>.makeStream()
        await withTaskCancellationHandler {
            for await _ in never {}
        } onCancel: {
            cancelled.finish()
        }
        throw CancellationError()
    }
}

/// The value of `task`, or a ``SwitchyardError/Code/timeout`` error when it takes longer than
/// `seconds`; `task` is then cancelled.
func value<T: Sendable>(of task: Task<T, any Error>, within seconds: Double) async throws -> T {
    try await BenchDeadline.run(seconds: seconds, phase: "the command") {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
