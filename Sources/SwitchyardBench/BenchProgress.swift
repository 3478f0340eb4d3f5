/// Progress on one line redrawn in place, normally on a terminal's standard error.
package struct BenchProgress: Sendable {
    /// How many messages pass between two redraws.
    package static let stride = 16_384

    private let write: (@Sendable (String) -> Void)?

    /// Progress drawn with `write`, which receives each redraw, control characters included.
    package init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    private init() {
        self.write = nil
    }

    /// Progress that shows nothing.
    package static var silent: BenchProgress { BenchProgress() }

    /// Shows `label` with a count, when `done` is a multiple of ``stride`` or the end.
    package func update(_ label: @autoclosure () -> String, done: Int, total: Int) {
        guard let write, done % Self.stride == 0 || done == total else { return }
        write("\r\u{1B}[2K\(label()) \(done)/\(total)")
    }

    /// Shows `label` alone.
    package func show(_ label: String) {
        write?("\r\u{1B}[2K\(label)")
    }

    /// Erases the progress line.
    package func clear() {
        write?("\r\u{1B}[2K")
    }
}
