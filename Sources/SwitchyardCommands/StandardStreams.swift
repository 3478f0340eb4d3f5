import Foundation
import Switchyard

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's standard streams as an ``InputSource`` and ``OutputSink``s.
enum StandardStreams {
    /// Standard input. Each read blocks a thread of its own, never one of the cooperative pool's (nor
    /// a Dispatch queue's: on Linux those run on the pool's threads).
    ///
    /// A read whose task is cancelled throws `CancellationError` at once; the bytes the abandoned read
    /// later returns are dropped, so a cancelled reader should not read again.
    struct Input: InputSource {
        func read() async throws -> [UInt8]? {
            let pending = PendingRead()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    guard pending.arm(continuation) else { return }
                    Thread {
                        pending.finish(with: Result { try readChunk(fileDescriptor: 0, size: 64 * 1024) })
                    }.start()
                }
            } onCancel: {
                pending.finish(with: .failure(CancellationError()))
            }
        }
    }

    /// Standard output or standard error, unbuffered.
    struct Output: OutputSink {
        let fileDescriptor: Int32

        func write(_ bytes: [UInt8]) {
            writeFully(bytes, fileDescriptor: fileDescriptor)
        }
    }
}

/// One read's continuation, resumed exactly once: by the read or by cancellation, whichever is first.
private final class PendingRead: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<[UInt8]?, any Error>)
        case finished
    }

    private let state = LockedValue(State.idle)

    /// Keeps `continuation` for ``finish(with:)``; `false`, with it resumed, when the read was already
    /// cancelled.
    func arm(_ continuation: CheckedContinuation<[UInt8]?, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            guard case .idle = state else { return true }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    /// Resumes the read with `result` unless it has been resumed already.
    func finish(with result: Result<[UInt8]?, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            defer { state = .finished }
            guard case .waiting(let continuation) = state else { return nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}

/// Blocks until up to `size` bytes are read; `nil` at the end of the file.
private func readChunk(fileDescriptor: Int32, size: Int) throws(SwitchyardError) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: size)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
        if count > 0 { return Array(buffer[..<count]) }
        if count == 0 { return nil }
        if errno != EINTR {
            throw SwitchyardError(.internalError, "Reading standard input failed: \(String(cString: strerror(errno))).")
        }
    }
}

/// Writes all of `bytes`, retrying after interruptions. Gives up silently when the reader has gone.
private func writeFully(_ bytes: [UInt8], fileDescriptor: Int32) {
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let written = write(fileDescriptor, base + offset, raw.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
