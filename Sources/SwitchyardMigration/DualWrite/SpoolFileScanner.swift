import Switchyard

/// Walks the frames of a spool file between two offsets, validating each, and reports the stretches
/// that are not intact frames instead of stopping at them.
///
/// After a bad frame it looks for the next offset holding the magic number and a frame whose checksum
/// matches, so one damaged record costs only that record, and a torn tail costs only the record that
/// was being written.
struct SpoolFileScanner {
    /// One step of the walk.
    enum Item {
        /// An intact frame's body, with where the frame starts and where the next one begins.
        case frame(body: [UInt8], offset: Int, next: Int)
        /// Bytes that are not an intact frame.
        case corrupt(offset: Int, length: Int, reason: String)
    }

    let file: SpoolFile
    private(set) var offset: Int
    let end: Int

    /// Walks `file` from `offset` up to `end`.
    init(file: SpoolFile, from offset: Int, to end: Int) {
        self.file = file
        self.offset = offset
        self.end = end
    }

    /// The next frame or corrupt stretch; `nil` at `end`.
    mutating func next() throws(SwitchyardError) -> Item? {
        guard offset < end else { return nil }
        let start = offset
        switch try frame(at: start) {
        case .success(let (body, next)):
            offset = next
            return .frame(body: body, offset: start, next: next)
        case .failure(let problem):
            let resumed = try nextIntactFrame(after: start)
            offset = resumed
            return .corrupt(offset: start, length: resumed - start, reason: problem.reason)
        }
    }

    private struct Problem: Error {
        let reason: String
    }

    /// The intact frame at `position`, or why there is none.
    private func frame(at position: Int) throws(SwitchyardError) -> Result<([UInt8], Int), Problem> {
        guard end - position >= SpoolFrame.headerSize else {
            return .failure(Problem(reason: "a record header cut short (\(end - position) of \(SpoolFrame.headerSize) bytes), as a crash during an append leaves it"))
        }
        let header = try file.read(SpoolFrame.headerSize, at: position)
        guard let length = SpoolFrame.bodyLength(ofHeader: header) else {
            return .failure(Problem(reason: "no record header (bad magic number or length)"))
        }
        let bodyStart = position + SpoolFrame.headerSize
        guard end - bodyStart >= length else {
            return .failure(Problem(reason: "a record cut short (\(end - bodyStart) of \(length) body bytes), as a crash during an append leaves it"))
        }
        let body = try file.read(length, at: bodyStart)
        guard body.count == length, SpoolFrame.isIntact(header: header, body: body) else {
            return .failure(Problem(reason: "a record whose CRC-32 does not match its contents"))
        }
        return .success((body, bodyStart + length))
    }

    /// The offset of the first intact frame after `position`, or `end` when there is none.
    private func nextIntactFrame(after position: Int) throws(SwitchyardError) -> Int {
        let chunkSize = 64 * 1024
        var chunkStart = position + 1
        while chunkStart < end {
            let chunk = try file.read(min(chunkSize + SpoolFrame.magic.count - 1, end - chunkStart), at: chunkStart)
            var index = 0
            while index + SpoolFrame.magic.count <= chunk.count && index < chunkSize {
                if chunk[index] == SpoolFrame.magic[0] && Array(chunk[index..<(index + 4)]) == SpoolFrame.magic {
                    if case .success = try frame(at: chunkStart + index) { return chunkStart + index }
                }
                index += 1
            }
            chunkStart += chunkSize
        }
        return end
    }
}
