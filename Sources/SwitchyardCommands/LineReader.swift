/// Splits an ``InputSource`` into lines of raw bytes, without the `\n`.
///
/// Bytes are kept exactly, so lines need not be UTF-8. A final line without a newline is still a
/// line; an input that ends with a newline has no extra empty line. Every byte is scanned once, and a
/// line longer than `maxLineBytes` is not kept: its bytes are skipped as they arrive and it is reported
/// as ``Line/tooLong(number:length:)``, so memory stays within `maxLineBytes` plus one read.
struct LineReader {
    /// One line of the input.
    enum Line: Equatable {
        /// A line within the limit, without its newline.
        case complete([UInt8])
        /// A line over the limit: its 1-based line number and its length in bytes.
        case tooLong(number: Int, length: Int)
    }

    private let source: any InputSource
    private let maxLineBytes: Int
    /// Bytes read; the current, unfinished line starts at `start`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline resumes: the bytes from `start` to here hold none.
    private var scanned = 0
    /// The bytes of the current line skipped so far, once it is known to be too long.
    private var skipped: Int?
    private var linesTaken = 0
    private var finished = false

    init(_ source: any InputSource, maxLineBytes: Int) {
        self.source = source
        self.maxLineBytes = maxLineBytes
    }

    /// The complete lines already read, at least one and at most `maxLines`, reading more input only
    /// when none is complete; `nil` at the end of the input.
    mutating func nextLines(maxLines: Int) async throws -> [Line]? {
        var lines: [Line] = []
        while true {
            while lines.count < maxLines, let line = takeLine() {
                lines.append(line)
            }
            if !lines.isEmpty { return lines }
            if finished { return takeUnterminatedLine().map { [$0] } }
            compact()
            if let chunk = try await source.read() {
                buffer += chunk
            } else {
                finished = true
            }
        }
    }

    /// The next line ended by a newline in the buffer, scanning only bytes not scanned before.
    private mutating func takeLine() -> Line? {
        let lineStart = start
        let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n"))
        let end = newline ?? buffer.count
        scanned = end
        if skipped != nil || end - lineStart > maxLineBytes {
            skipped = (skipped ?? 0) + (end - lineStart)
            start = end
        }
        guard let newline else { return nil }
        let bytes = skipped == nil ? Array(buffer[lineStart..<newline]) : []
        start = newline + 1
        scanned = start
        return finishLine(bytes)
    }

    /// The last line when the input ends without a newline; `nil` when there is none.
    private mutating func takeUnterminatedLine() -> Line? {
        guard skipped != nil || start < buffer.count else { return nil }
        let bytes = Array(buffer[start...])
        start = buffer.count
        scanned = start
        return finishLine(bytes)
    }

    private mutating func finishLine(_ bytes: [UInt8]) -> Line {
        linesTaken += 1
        defer { skipped = nil }
        if let skipped { return .tooLong(number: linesTaken, length: skipped) }
        return .complete(bytes)
    }

    /// Drops the lines already taken once they are at least half the buffer, so each byte is moved a
    /// bounded number of times.
    private mutating func compact() {
        guard start > 0, start >= buffer.count - start else { return }
        buffer.removeFirst(start)
        scanned -= start
        start = 0
    }
}
