import Foundation
import Logging
import Switchyard
import SwitchyardConfiguration

@testable import SwitchyardCommands
import SwitchyardBench

/// An ``OutputSink`` that keeps everything written to it.
final class CapturedOutput: OutputSink {
    private let bytes = LockedValue<[UInt8]>([])

    func write(_ bytes: [UInt8]) {
        self.bytes.withLock { $0 += bytes }
    }

    var text: String {
        bytes.withLock { String(decoding: $0, as: UTF8.self) }
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

/// An ``InputSource`` that yields `chunk`, then calls `whenDrained` and waits until it is cancelled.
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
        try await Task.sleep(for: .seconds(3600))
        return nil
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
