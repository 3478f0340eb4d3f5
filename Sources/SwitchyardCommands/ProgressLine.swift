import SwitchyardBench

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension OutputSink {
    /// Whether this is one of the process's standard streams connected to a terminal.
    var isTerminal: Bool {
        guard let stream = self as? StandardStreams.Output else { return false }
        return isatty(stream.fileDescriptor) != 0
    }

    /// A progress line redrawn in place on this sink when it is a terminal; silent otherwise.
    var progressLine: BenchProgress {
        isTerminal ? BenchProgress(write: { self.write($0) }) : .silent
    }
}
