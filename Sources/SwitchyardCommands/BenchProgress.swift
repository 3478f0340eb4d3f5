#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on one line redrawn in place, normally on standard error; silent unless the sink is a
/// terminal.
struct BenchProgress: Sendable {
    /// How many messages pass between two redraws.
    static let stride = 16_384

    private let sink: (any OutputSink)?

    init(sink: any OutputSink) {
        self.sink = Self.isTerminal(sink) ? sink : nil
    }

    private init() {
        self.sink = nil
    }

    /// Progress that shows nothing.
    static var silent: BenchProgress { BenchProgress() }

    /// Whether `sink` is one of the process's standard streams connected to a terminal.
    static func isTerminal(_ sink: any OutputSink) -> Bool {
        guard let stream = sink as? StandardStreams.Output else { return false }
        return isatty(stream.fileDescriptor) != 0
    }

    /// Shows `label` with a count, when `done` is a multiple of ``stride`` or the end.
    func update(_ label: @autoclosure () -> String, done: Int, total: Int) {
        guard let sink, done % Self.stride == 0 || done == total else { return }
        sink.write("\r\u{1B}[2K\(label()) \(done)/\(total)")
    }

    /// Shows `label` alone.
    func show(_ label: String) {
        sink?.write("\r\u{1B}[2K\(label)")
    }

    /// Erases the progress line.
    func clear() {
        sink?.write("\r\u{1B}[2K")
    }
}
