/// Where an effective configuration value came from.
public enum ConfigurationSource: Sendable, Hashable, CustomStringConvertible {
    /// No layer set the key.
    case defaultValue
    /// The configuration file at this path.
    case file(path: String)
    /// This environment variable.
    case environment(variable: String)
    /// This command-line flag, such as `--backend` or `--set inmemory.partitions`.
    case flag(String)

    /// The layer: `default`, `file`, `env` or `flag`.
    public var layer: String {
        switch self {
        case .defaultValue: "default"
        case .file: "file"
        case .environment: "env"
        case .flag: "flag"
        }
    }

    /// The layer and the exact place, such as `env SWITCHYARD_BACKEND`.
    public var description: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path): "file \(path)"
        case .environment(let variable): "env \(variable)"
        case .flag(let flag): "flag \(flag)"
        }
    }

    /// The place as an error message names it, such as `SWITCHYARD_BACKEND` or `config file app.yaml`.
    var location: String {
        switch self {
        case .defaultValue: "the defaults"
        case .file(let path): "config file \(path)"
        case .environment(let variable): variable
        case .flag(let flag): flag
        }
    }
}
