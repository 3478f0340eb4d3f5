/// Where the demo writes its board: a terminal, redrawn in place, or a plain line-oriented sink such as
/// a pipe, a log file or a test.
public struct DemoOutput: Sendable {
    /// Whether the sink is an ANSI terminal; the board is then redrawn in place.
    public var isTerminal: Bool
    /// Writes text as it is; line breaks are included in it.
    public var write: @Sendable (String) -> Void

    public init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }
}
