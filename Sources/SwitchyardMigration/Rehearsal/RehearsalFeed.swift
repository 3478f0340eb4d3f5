import Logging
import Switchyard

/// The producer of a rehearsal: its traffic, published in real time for the whole run through whichever
/// phase's writer is installed.
///
/// A cutover installs the next phase's writer with ``install(_:)``, which takes effect between two
/// batches and hands back the writer it replaced, its last batch acknowledged. Messages keep their due
/// time: those that fall due while no writer is installed are sent as soon as one is, so none is
/// skipped. Every message also carries ``RehearsalBook/phaseHeader``, and its `publishedAt` is set when its batch is sent. A failed send is retried with the same ids until
/// the writer acknowledges it (for at most a minute), as an at-least-once producer does.
final class RehearsalFeed: Sendable {
    private struct State {
        var current: RehearsalWriter?
        var request: (writer: RehearsalWriter?, done: CheckedContinuation<RehearsalWriter?, Never>)?
        var finished = false
        /// Set when ``run(_:)`` has returned; installing then changes nothing.
        var stopped = false
    }

    private let state = LockedValue(State())
    private let topic: String
    private let book: RehearsalBook
    private let logger: Logger

    init(topic: String, book: RehearsalBook, logger: Logger) {
        self.topic = topic
        self.book = book
        self.logger = logger
    }

    /// Makes `writer` (or, with `nil`, no writer) the one the feed sends through, from the next batch
    /// on, and returns the one it replaces once that writer's last batch has its outcome. Once the feed
    /// has stopped, the swap happens at once.
    func install(_ writer: RehearsalWriter?) async -> RehearsalWriter? {
        await withCheckedContinuation { continuation in
            let replacedNow = state.withLock { state -> RehearsalWriter?? in
                guard state.stopped else {
                    state.request = (writer, continuation)
                    return .none
                }
                defer { state.current = writer }
                return .some(state.current)
            }
            if let replaced = replacedNow { continuation.resume(returning: replaced) }
        }
    }

    /// Whether ``run(_:)`` has returned, because it was finished or a send failed for good.
    var hasStopped: Bool {
        state.withLock { $0.stopped }
    }

    /// Ends ``run(_:)`` once no writer is installed.
    func finish() {
        state.withLock { $0.finished = true }
    }

    /// Publishes `traffic` until ``finish()``. Throws when a send fails for good.
    func run(_ traffic: some RehearsalTraffic) async throws {
        defer {
            let pending = state.withLock { state -> (RehearsalWriter?, CheckedContinuation<RehearsalWriter?, Never>)? in
                state.stopped = true
                guard let request = state.request else { return nil }
                let replaced = state.current
                state.current = request.writer
                state.request = nil
                return (replaced, request.done)
            }
            if let (replaced, done) = pending { done.resume(returning: replaced) }
        }
        try await publish(traffic)
    }

    private func publish(_ traffic: some RehearsalTraffic) async throws {
        var traffic = traffic
        while true {
            guard let writer = takeWriter() else {
                if state.withLock({ $0.finished }) { return }
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            let now = WallClock.nowMicroseconds()
            var batch: [Message] = []
            let phase = MessageHeader(name: RehearsalBook.phaseHeader, value: String(writer.phase.rawValue))
            while traffic.nextDue <= now, batch.count < 1_000 {
                var message = try traffic.next()
                message.headers.append(phase)
                message.publishedAt = now
                batch.append(message)
            }
            if batch.isEmpty {
                try await Task.sleep(for: .microseconds(max(traffic.nextDue - now, 100)))
                continue
            }
            try await send(batch, through: writer)
        }
    }

    /// The writer to send the next batch through, after carrying out a pending ``install(_:)``.
    private func takeWriter() -> RehearsalWriter? {
        let (writer, replaced) = state.withLock { state -> (RehearsalWriter?, (RehearsalWriter?, CheckedContinuation<RehearsalWriter?, Never>)?) in
            guard let request = state.request else { return (state.current, nil) }
            let old = state.current
            state.current = request.writer
            state.request = nil
            return (request.writer, (old, request.done))
        }
        if let (old, done) = replaced { done.resume(returning: old) }
        return writer
    }

    private func send(_ batch: [Message], through writer: RehearsalWriter) async throws {
        var unsent = batch
        var attempts = 0
        while !unsent.isEmpty {
            do {
                try await writer.producer.send(unsent, to: topic)
                book.recordPublished(unsent, phase: writer.phase.rawValue)
                return
            } catch {
                attempts += 1
                let left = error.code == .partialBatch ? Set(error.unacknowledgedMessageIDs) : Set(unsent.map(\.id))
                book.recordPublished(unsent.filter { !left.contains($0.id) }, phase: writer.phase.rawValue)
                unsent = unsent.filter { left.contains($0.id) }
                guard error.isRetriable || error.code == .partialBatch, attempts < 600 else { throw error }
                logger.warning("A send failed; resending it with the same ids", metadata: ["error": "\(error)", "attempt": "\(attempts)"])
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
