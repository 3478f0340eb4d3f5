/// A configuration key set on the command line, the highest-precedence layer.
public struct FlagOverride: Sendable, Hashable {
    /// The dotted key, such as `inmemory.partitions`.
    public var key: String
    /// The value as text.
    public var value: String
    /// The flag as the user wrote it, for error messages and `config show`, such as `--backend` or
    /// `--set inmemory.partitions`.
    public var flag: String

    public init(key: String, value: String, flag: String) {
        self.key = key
        self.value = value
        self.flag = flag
    }
}
