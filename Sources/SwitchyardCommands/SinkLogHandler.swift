import Logging

/// A swift-log handler that writes one line per message to an ``OutputSink``, normally standard error.
struct SinkLogHandler: LogHandler {
    let sink: any OutputSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(sink: any OutputSink, logLevel: Logger.Level) {
        self.sink = sink
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        sink.write("\(event.level): \(event.message)\(fields)\n")
    }

    /// A logger for the CLI at `level`, writing to `sink`.
    static func logger(level: Logger.Level, sink: any OutputSink) -> Logger {
        Logger(label: "switchyard") { _ in SinkLogHandler(sink: sink, logLevel: level) }
    }
}
