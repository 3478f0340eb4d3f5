import Dispatch
import Logging
import Switchyard

/// The durable local spool of copies the secondary has not acknowledged.
///
/// A directory holds two append-only files of CRC-framed records (see ``SpoolFrame``):
/// - `records.log`: the spooled copies, each with a sequence number, its topic and the whole message;
/// - `delivered.log`: acknowledgements, each saying every record up to a sequence number reached the
///   secondary, so a restart replays only what is still undelivered.
///
/// ``append(_:)`` returns only after the records are written and `fsync`'d; concurrent appends share one
/// `fsync` (group commit). When every record has been delivered, both files are truncated. On open, a
/// torn or corrupt stretch is reported, counted, copied to a `quarantine-*.bin` file next to the spool,
/// and the intact records around it are kept; the files are then rewritten holding only the
/// undelivered records. A `lock` file keeps a second process out of the directory.
///
/// Memory stays bounded: records are read back in batches; only offsets and counts live in memory. All
/// file I/O runs on one serial dispatch queue, never on Swift's cooperative thread pool.
final class DualWriteSpool: Sendable {
    /// Records read for replay, and where each ends.
    struct Batch: Sendable {
        var entries: [SpoolEntry]
        /// The offset just past each entry.
        var ends: [Int]
        /// The offset just past the batch, skipped stretches included.
        var next: Int

        /// The entries in `range` (not empty), ending where the last of them ends, or where the batch
        /// ends when the range reaches its end.
        func slice(_ range: Range<Int>) -> Batch {
            let next = range.upperBound == entries.count ? next : ends[range.upperBound - 1]
            return Batch(entries: Array(entries[range]), ends: Array(ends[range]), next: next)
        }
    }

    private struct State {
        var queued: [(topic: String, message: Message)] = []
        var waiters: [CheckedContinuation<Result<Void, SwitchyardError>, Never>] = []
        var flushScheduled = false
        var closed = false
        var nextSequence: UInt64
        var deliveredThrough: UInt64
        var readOffset = 0
        var durableEnd: Int
        var deliveredEnd: Int
        /// Records written and synced but not yet delivered.
        var durableDepth: Int
        /// Records queued or being written.
        var unflushed = 0
        var corruptions: [SpoolCorruption]
        var reportedOffsets: Set<Int> = []
        /// Undelivered records found on open, left by an earlier process.
        let recovered: Int

        var depth: Int { durableDepth + unflushed }
    }

    let directory: String
    /// Wakes the replayer after records are appended; it holds at most one pending wake-up.
    let appended: AsyncStream<Void>
    private let appendedContinuation: AsyncStream<Void>.Continuation
    private let queue: DispatchQueue
    private let records: SpoolFile
    private let delivered: SpoolFile
    private let lock: SpoolFile
    private let state: LockedValue<State>
    private let metrics: DualWriteMetrics
    private let logger: Logger

    private static let recordsName = "records.log"
    private static let deliveredName = "delivered.log"

    /// Opens the spool in `directory`, creating it when missing, and recovers what a previous process
    /// left: undelivered records are kept for replay, corrupt stretches reported and quarantined.
    static func open(directory: String, metrics: DualWriteMetrics, logger: Logger) async throws(SwitchyardError) -> DualWriteSpool {
        let queue = DispatchQueue(label: "switchyard.dual-write.spool")
        let result: Result<DualWriteSpool, SwitchyardError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(SwitchyardError) in
                    try DualWriteSpool(directory: directory, queue: queue, metrics: metrics, logger: logger)
                })
            }
        }
        return try result.get()
    }

    /// Runs on `queue`.
    private init(directory: String, queue: DispatchQueue, metrics: DualWriteMetrics, logger: Logger) throws(SwitchyardError) {
        guard directory.contains(where: { !$0.isWhitespace }) else {
            throw SwitchyardError(.invalidConfiguration, "The dual-write spool directory (dual.spool) is empty. Set it to a directory on a local disk.")
        }
        try SpoolFile.makeDirectory(directory)
        let lock = try SpoolFile(path: directory + "/lock")
        do {
            try lock.lockExclusively()
        } catch {
            lock.release()
            throw error
        }
        self.directory = directory
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
        self.lock = lock
        (appended, appendedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

        var corruptions: [SpoolCorruption] = []
        let (delivered, deliveredThrough) = try Self.recoverDelivered(directory: directory, corruptions: &corruptions)
        let recovered = try Self.recoverRecords(directory: directory, deliveredThrough: deliveredThrough, corruptions: &corruptions)
        self.records = recovered.file
        self.delivered = delivered
        state = LockedValue(State(
            nextSequence: max(recovered.maxSequence, deliveredThrough) + 1,
            deliveredThrough: deliveredThrough,
            durableEnd: try recovered.file.size(),
            deliveredEnd: try delivered.size(),
            durableDepth: recovered.depth,
            corruptions: corruptions,
            recovered: recovered.depth
        ))
        for corruption in corruptions {
            logger.error("The dual-write spool had a corrupt stretch; the intact records around it are kept", metadata: ["corruption": "\(corruption)"])
        }
        metrics.corruptions.increment(by: corruptions.count)
        metrics.recordDepth(recovered.depth)
        if recovered.depth > 0 {
            logger.notice("The dual-write spool holds undelivered copies from before; replaying them", metadata: ["records": "\(recovered.depth)", "spool": "\(directory)"])
        }
    }

    // MARK: Appending

    /// Writes the copies and returns once they are on disk (`fsync`'d). Throws when the disk refuses
    /// them; then nothing of them counts as spooled.
    func append(_ copies: [(topic: String, message: Message)]) async throws(SwitchyardError) {
        let result: Result<Void, SwitchyardError> = await withCheckedContinuation { continuation in
            let schedule = state.withLock { state -> Bool in
                state.queued.append(contentsOf: copies)
                state.unflushed += copies.count
                state.waiters.append(continuation)
                defer { state.flushScheduled = true }
                return !state.flushScheduled
            }
            if schedule {
                queue.async { self.flushQueued() }
            }
        }
        try result.get()
    }

    /// Runs on `queue`: writes everything queued so far with one `fsync`, then resumes its appenders.
    private func flushQueued() {
        let (copies, waiters, firstSequence, offset, closed) = state.withLock { state in
            defer {
                state.nextSequence += UInt64(state.queued.count)
                state.queued = []
                state.waiters = []
                state.flushScheduled = false
            }
            return (state.queued, state.waiters, state.nextSequence, state.durableEnd, state.closed)
        }
        var outcome: Result<Void, SwitchyardError> = .success(())
        if closed {
            outcome = .failure(SwitchyardError(.producerClosed, "The dual-write spool is closed. Create the backend again to spool more copies."))
        } else {
            var bytes: [UInt8] = []
            for (index, copy) in copies.enumerated() {
                let entry = SpoolEntry(sequence: firstSequence + UInt64(index), topic: copy.topic, message: copy.message)
                bytes.append(contentsOf: SpoolFrame.frame(entry.encoded()))
            }
            do {
                try records.write(bytes, at: offset)
                try records.sync()
                let depth = state.withLock { state in
                    state.durableEnd = offset + bytes.count
                    state.durableDepth += copies.count
                    state.unflushed -= copies.count
                    // Counted under the lock that guards the depth, so a snapshot always balances.
                    metrics.spooled.increment(by: copies.count)
                    return state.depth
                }
                metrics.recordDepth(depth)
                appendedContinuation.yield()
            } catch {
                // A partial write must not be mistaken for records later: cut it off again.
                try? records.truncate(to: offset)
                outcome = .failure(error)
            }
        }
        if case .failure = outcome {
            state.withLock { state in state.unflushed -= copies.count }
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    // MARK: Replaying

    /// Copies not yet acknowledged by the secondary, queued appends included.
    var depth: Int { state.withLock { $0.depth } }

    /// Reads up to `maxEntries` undelivered records, oldest first, stopping early past `maxBytes`.
    func readBatch(maxEntries: Int, maxBytes: Int) async throws(SwitchyardError) -> Batch {
        try await onQueue { () throws(SwitchyardError) in
            let (start, end, deliveredThrough) = self.state.withLock { ($0.readOffset, $0.durableEnd, $0.deliveredThrough) }
            var scanner = SpoolFileScanner(file: self.records, from: start, to: end)
            var batch = Batch(entries: [], ends: [], next: start)
            var bytes = 0
            while batch.entries.count < maxEntries && bytes < maxBytes, let item = try scanner.next() {
                switch item {
                case .frame(let body, let offset, let next):
                    batch.next = next
                    bytes += body.count
                    if let entry = SpoolEntry(decoding: body) {
                        if entry.sequence > deliveredThrough {
                            batch.entries.append(entry)
                            batch.ends.append(next)
                        }
                    } else {
                        self.report(offset: offset, length: next - offset, reason: "a record with a valid checksum that does not decode")
                    }
                case .corrupt(let offset, let length, let reason):
                    batch.next = offset + length
                    self.report(offset: offset, length: length, reason: reason)
                }
            }
            return batch
        }
    }

    /// Records that the secondary acknowledged `batch`, durably, counts it as replayed, and truncates
    /// the spool once nothing is left in it. Records that were counted but turned out unreadable (a
    /// corrupt stretch skipped on the way) are counted as unreadable once the replay has passed them all.
    func markDelivered(_ batch: Batch) async throws(SwitchyardError) {
        try await onQueue { () throws(SwitchyardError) in
            if let last = batch.entries.last?.sequence {
                let offset = self.state.withLock { $0.deliveredEnd }
                var body = ByteWriter()
                body.put(last)
                let frame = SpoolFrame.frame(body.bytes)
                try self.delivered.write(frame, at: offset)
                try self.delivered.sync()
                self.state.withLock { $0.deliveredEnd = offset + frame.count }
            }
            let (depth, drained) = self.state.withLock { state in
                state.readOffset = batch.next
                state.deliveredThrough = batch.entries.last?.sequence ?? state.deliveredThrough
                // The counters change under the lock that guards the depth, so a snapshot always
                // balances: spooled + recovered == replayed + unreadable + durable depth.
                self.metrics.replayed.increment(by: batch.entries.count)
                let left = state.durableDepth - batch.entries.count
                if state.readOffset >= state.durableEnd {
                    self.metrics.unreadable.increment(by: left)
                    state.durableDepth = 0
                } else {
                    // Bytes left behind the read offset still count, even if they turn out to be corrupt.
                    state.durableDepth = max(1, left)
                }
                let drained = state.depth == 0
                if drained {
                    state.readOffset = 0
                    state.durableEnd = 0
                    state.deliveredEnd = 0
                }
                return (state.depth, drained)
            }
            if drained {
                // Appends queued meanwhile are written by a later job on this queue, at offset 0.
                try self.records.truncate(to: 0)
                try self.delivered.truncate(to: 0)
            }
            self.metrics.recordDepth(depth)
        }
    }

    // MARK: Reporting and closing

    /// What the spool holds, what went in and out of it, and what was found wrong in it, all at one
    /// instant.
    func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(
                depth: state.depth,
                bytes: state.durableEnd - state.readOffset,
                recovered: state.recovered,
                spooled: metrics.spooled.value,
                replayed: metrics.replayed.value,
                unreadable: metrics.unreadable.value,
                corruptions: state.corruptions
            )
        }
    }

    /// The spool's figures at one instant.
    struct Snapshot: Sendable {
        /// Records not yet acknowledged, those still being written included.
        var depth: Int
        var bytes: Int
        var recovered: Int
        var spooled: Int
        var replayed: Int
        var unreadable: Int
        var corruptions: [SpoolCorruption]
    }

    /// Lets queued appends finish, then closes the files and releases the lock. Undelivered records
    /// stay on disk for the next open.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.state.withLock { $0.closed = true }
                self.records.release()
                self.delivered.release()
                self.lock.release()
                self.appendedContinuation.finish()
                continuation.resume()
            }
        }
    }

    /// Runs on `queue`: reports a corrupt stretch found while replaying, once per offset.
    private func report(offset: Int, length: Int, reason: String) {
        let isNew = state.withLock { $0.reportedOffsets.insert(offset).inserted }
        guard isNew else { return }
        let quarantined = try? Self.quarantine(records, offset: offset, length: length, directory: directory)
        let corruption = SpoolCorruption(file: records.path, offset: offset, length: length, reason: reason, quarantinedTo: quarantined)
        state.withLock { $0.corruptions.append(corruption) }
        metrics.corruptions.increment()
        logger.error("The dual-write spool has a corrupt stretch; skipping to the next intact record", metadata: ["corruption": "\(corruption)"])
    }

    private func onQueue<Value: Sendable>(_ work: @escaping @Sendable () throws(SwitchyardError) -> Value) async throws(SwitchyardError) -> Value {
        let result: Result<Value, SwitchyardError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(SwitchyardError) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    // MARK: Recovery

    /// Reads `delivered.log`: the highest sequence acknowledged. Rewrites it as one record when it holds
    /// more, or a corrupt stretch.
    private static func recoverDelivered(directory: String, corruptions: inout [SpoolCorruption]) throws(SwitchyardError) -> (SpoolFile, UInt64) {
        let path = directory + "/" + deliveredName
        let file = try SpoolFile(path: path)
        var scanner = SpoolFileScanner(file: file, from: 0, to: try file.size())
        var deliveredThrough: UInt64 = 0
        var frames = 0
        var bad: [(offset: Int, length: Int, reason: String)] = []
        while let item = try scanner.next() {
            switch item {
            case .frame(let body, let offset, let next):
                if body.count == 8 {
                    deliveredThrough = max(deliveredThrough, LittleEndian.uint64(body, at: 0))
                    frames += 1
                } else {
                    bad.append((offset, next - offset, "an acknowledgement record of the wrong size"))
                }
            case .corrupt(let offset, let length, let reason):
                bad.append((offset, length, reason))
            }
        }
        guard frames > 1 || !bad.isEmpty else { return (file, deliveredThrough) }
        let quarantined = bad.isEmpty ? nil : try quarantine(file, regions: bad.map { ($0.offset, $0.length) }, directory: directory)
        corruptions += bad.map { SpoolCorruption(file: path, offset: $0.offset, length: $0.length, reason: $0.reason, quarantinedTo: quarantined) }
        var body = ByteWriter()
        body.put(deliveredThrough)
        let rewritten = try rewrite(path, directory: directory, replacing: file) { (temporary: SpoolFile) throws(SwitchyardError) in
            try temporary.write(SpoolFrame.frame(body.bytes), at: 0)
        }
        return (rewritten, deliveredThrough)
    }

    /// Reads `records.log`, counting the records after `deliveredThrough`. Rewrites the file holding only
    /// those when it has delivered records or corrupt stretches in front of them.
    private static func recoverRecords(
        directory: String,
        deliveredThrough: UInt64,
        corruptions: inout [SpoolCorruption]
    ) throws(SwitchyardError) -> (file: SpoolFile, depth: Int, maxSequence: UInt64) {
        let path = directory + "/" + recordsName
        let file = try SpoolFile(path: path)
        let size = try file.size()
        var scanner = SpoolFileScanner(file: file, from: 0, to: size)
        var depth = 0
        var maxSequence: UInt64 = 0
        var obsoleteBytes = 0
        var bad: [(offset: Int, length: Int, reason: String)] = []
        while let item = try scanner.next() {
            switch item {
            case .frame(let body, let offset, let next):
                guard let entry = SpoolEntry(decoding: body) else {
                    bad.append((offset, next - offset, "a record with a valid checksum that does not decode"))
                    continue
                }
                maxSequence = max(maxSequence, entry.sequence)
                if entry.sequence > deliveredThrough {
                    depth += 1
                } else {
                    obsoleteBytes += next - offset
                }
            case .corrupt(let offset, let length, let reason):
                bad.append((offset, length, reason))
            }
        }
        guard obsoleteBytes > 0 || !bad.isEmpty else { return (file, depth, maxSequence) }
        let quarantined = bad.isEmpty ? nil : try quarantine(file, regions: bad.map { ($0.offset, $0.length) }, directory: directory)
        corruptions += bad.map { SpoolCorruption(file: path, offset: $0.offset, length: $0.length, reason: $0.reason, quarantinedTo: quarantined) }
        let rewritten = try rewrite(path, directory: directory, replacing: file) { (temporary: SpoolFile) throws(SwitchyardError) in
            var copier = SpoolFileScanner(file: file, from: 0, to: size)
            var offset = 0
            while let item = try copier.next() {
                guard case .frame(let body, _, _) = item, let entry = SpoolEntry(decoding: body), entry.sequence > deliveredThrough else { continue }
                let frame = SpoolFrame.frame(body)
                try temporary.write(frame, at: offset)
                offset += frame.count
            }
        }
        return (rewritten, depth, maxSequence)
    }

    /// Writes a new version of `path` through `fill`, syncs it and renames it over the old one.
    private static func rewrite(
        _ path: String,
        directory: String,
        replacing old: SpoolFile,
        fill: (SpoolFile) throws(SwitchyardError) -> Void
    ) throws(SwitchyardError) -> SpoolFile {
        let temporaryPath = path + ".rewrite"
        let temporary = try SpoolFile(path: temporaryPath)
        try temporary.truncate(to: 0)
        try fill(temporary)
        try temporary.sync()
        try SpoolFile.replace(path, with: temporaryPath)
        try SpoolFile.syncDirectory(directory)
        old.release()
        return temporary
    }

    /// Copies the bytes of `regions` of `file` into a new `quarantine-*.bin` file and returns its path.
    private static func quarantine(_ file: SpoolFile, regions: [(offset: Int, length: Int)], directory: String) throws(SwitchyardError) -> String {
        let name = file.path.split(separator: "/").last.map(String.init) ?? "spool"
        let path = "\(directory)/quarantine-\(WallClock.nowMicroseconds())-\(name)-at-\(regions.first?.offset ?? 0).bin"
        let target = try SpoolFile(path: path)
        defer { target.release() }
        var written = 0
        for region in regions {
            var copied = 0
            while copied < region.length {
                let chunk = try file.read(min(1 << 20, region.length - copied), at: region.offset + copied)
                if chunk.isEmpty { break }
                try target.write(chunk, at: written)
                written += chunk.count
                copied += chunk.count
            }
        }
        try target.sync()
        try SpoolFile.syncDirectory(directory)
        return path
    }

    private static func quarantine(_ file: SpoolFile, offset: Int, length: Int, directory: String) throws(SwitchyardError) -> String {
        try quarantine(file, regions: [(offset, length)], directory: directory)
    }
}
