import ArgumentParser
import Switchyard
import SwitchyardConfiguration

/// The options every `switchyard` command shares: where the configuration comes from and how to
/// override it.
///
/// Precedence, highest first: `--backend` and `--set`, then `SWITCHYARD_*` environment variables, then
/// the `--config` file, then the built-in defaults.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A YAML or JSON configuration file.", valueName: "file"))
    public var config: String?

    @Option(name: .long, help: ArgumentHelp("The backend to use: inmemory, kafka, rabbitmq or dual. Overrides the configuration.", valueName: "name"))
    public var backend: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Sets any configuration key, e.g. --set inmemory.partitions=8. Repeatable.", valueName: "key=value")
    )
    public var overrides: [String] = []

    public init() {}

    /// The effective configuration with the source of every value, from the flags, the given
    /// environment (a command passes its ``CommandIO/environment``) and the configuration file.
    public func resolve(environment: [String: String]) throws(SwitchyardError) -> ResolvedConfiguration {
        try ConfigurationLoader.load(
            file: config,
            environment: environment,
            flags: try flagOverrides()
        )
    }

    /// `--backend` and every `--set`, as configuration keys and values in command-line order.
    func flagOverrides() throws(SwitchyardError) -> [FlagOverride] {
        var result: [FlagOverride] = []
        for assignment in overrides {
            guard let pair = Assignment(assignment) else {
                throw SwitchyardError(.invalidConfiguration, Assignment.problem(with: assignment, flag: "--set", form: "key=value, e.g. --set inmemory.partitions=8"))
            }
            result.append(FlagOverride(key: pair.name, value: pair.value, flag: "--set \(pair.name)"))
        }
        if let backend {
            result.append(FlagOverride(key: SettingKey.backend.name, value: backend, flag: "--backend"))
        }
        return result
    }
}
