import Configuration
import Switchyard

/// Merges the configuration layers into validated ``SwitchyardSettings``.
///
/// Precedence, highest first: command-line flags, `SWITCHYARD_*` environment variables, the
/// configuration file, then the defaults. Every layer is checked against ``SettingKey/all``: an unknown
/// key, an unknown `SWITCHYARD_*` variable or an invalid value is a `SwitchyardError` that names the
/// key, the value (left out when the key is secret), where it came from and what is allowed. The test
/// suites' own variables (``EnvironmentNaming/testVariables``) are ignored.
public enum ConfigurationLoader {
    /// Loads the effective configuration.
    /// - Parameters:
    ///   - file: The path of a YAML or JSON configuration file, or `nil` for none.
    ///   - environment: The process environment; only `SWITCHYARD_*` variables are read.
    ///   - flags: Keys set on the command line, in command-line order; a later one wins.
    public static func load(
        file: String?,
        environment: [String: String],
        flags: [FlagOverride]
    ) throws(SwitchyardError) -> ResolvedConfiguration {
        let layers = try Layers(file: file, environment: environment, flags: flags)
        let recorder = ResolvingProviderRecorder()
        let reader = ConfigReader(providers: [layers.flagProvider, layers.environmentProvider, layers.fileProvider], accessReporter: recorder)

        var settings = SwitchyardSettings()
        var entries: [ResolvedConfiguration.Entry] = []
        for key in layers.keysToResolve {
            let value = reader.string(forKey: ConfigKey(key.components), isSecret: key.secrecy != .none)
            let source = layers.source(of: key, providerName: recorder.takeResolvingProvider())
            if let value {
                do {
                    try key.write(&settings, value)
                } catch {
                    throw invalidValue(value, for: key, in: source)
                }
            }
            if let shown = key.read(settings) {
                entries.append(ResolvedConfiguration.Entry(key: key.name, displayValue: key.displayValue(shown), source: source))
            }
        }
        try checkConsistency(settings, entries: entries)
        return ResolvedConfiguration(settings: settings, entries: entries)
    }

    /// The error for a value outside what `key` allows. The value of a secret key is never shown, not
    /// even in part: an invalid value may be malformed in a way redaction cannot see.
    private static func invalidValue(_ value: String, for key: SettingKey, in source: ConfigurationSource) -> SwitchyardError {
        let shown = key.secrecy == .none ? "'\(value)'" : "(not shown: it may hold a secret)"
        let what = key.invalidValueCode == .unknownBackend ? "unknown backend \(shown)" : "invalid value \(shown) for \(key.name)"
        return SwitchyardError(key.invalidValueCode, "\(what) in \(source.location); allowed: \(key.allowed)")
    }

    private static func checkConsistency(_ settings: SwitchyardSettings, entries: [ResolvedConfiguration.Entry]) throws(SwitchyardError) {
        if settings.dual.primary == settings.dual.secondary {
            let sources = entries.filter { $0.key == "dual.primary" || $0.key == "dual.secondary" }
                .map { "\($0.key) from \($0.source.location)" }
                .joined(separator: ", ")
            throw SwitchyardError(
                .invalidConfiguration,
                "dual.primary and dual.secondary are both '\(settings.dual.primary.rawValue)' (\(sources)); set them to two different backends."
            )
        }
    }
}

/// The three configuration layers as swift-configuration providers, after their keys were checked.
private struct Layers {
    let flagProvider: InMemoryProvider
    let environmentProvider: EnvironmentVariablesProvider
    let fileProvider: InMemoryProvider
    let keysToResolve: [SettingKey]
    private let filePath: String?
    private let flagNames: [String: String]

    init(file: String?, environment: [String: String], flags: [FlagOverride]) throws(SwitchyardError) {
        var propertyKeys: [String: SettingKey] = [:]

        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var flagNames: [String: String] = [:]
        for flag in flags {
            let key = try Self.knownKey(flag.key, in: .flag(flag.flag))
            flagValues[AbsoluteConfigKey(key.components)] = ConfigValue(.string(flag.value), isSecret: key.secrecy != .none)
            flagNames[key.name] = flag.flag
            if key.name.hasPrefix(SettingKey.kafkaPropertiesPrefix) { propertyKeys[key.name] = key }
        }

        var environmentValues: [String: String] = [:]
        var secretVariables: Set<String> = []
        for (variable, value) in environment.sorted(by: { $0.key < $1.key })
        where variable.hasPrefix(EnvironmentNaming.prefix) && !EnvironmentNaming.isTestVariable(variable) {
            let unprefixed = String(variable.dropFirst(EnvironmentNaming.prefix.count))
            guard let key = EnvironmentNaming.key(forUnprefixedVariable: unprefixed) else {
                let known = SettingKey.all.map(\.environmentVariable) + EnvironmentNaming.testVariables.map(\.name)
                throw SwitchyardError(
                    .invalidConfiguration,
                    "unknown environment variable \(variable); \(KeySuggestion.question(for: variable, among: known))Unset it or fix its name (`switchyard config show` lists the keys)."
                )
            }
            environmentValues[unprefixed] = value
            if key.secrecy != .none { secretVariables.insert(unprefixed) }
            if key.name.hasPrefix(SettingKey.kafkaPropertiesPrefix) { propertyKeys[key.name] = key }
        }

        var fileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        if let file {
            let parsed = try ConfigurationFile.load(path: file)
            for (name, value) in parsed.values {
                let key = try Self.knownKey(name, in: .file(path: file))
                fileValues[AbsoluteConfigKey(key.components)] = ConfigValue(.string(value), isSecret: key.secrecy != .none)
                if key.name.hasPrefix(SettingKey.kafkaPropertiesPrefix) { propertyKeys[key.name] = key }
            }
        }

        self.flagProvider = InMemoryProvider(name: "flags", values: flagValues)
        self.environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environmentValues,
            secretsSpecifier: .specific(secretVariables)
        )
        self.fileProvider = InMemoryProvider(name: "file", values: fileValues)
        self.keysToResolve = SettingKey.all + propertyKeys.keys.sorted().compactMap { propertyKeys[$0] }
        self.filePath = file
        self.flagNames = flagNames
    }

    /// Where the value of `key` came from, given the name of the provider that supplied it.
    func source(of key: SettingKey, providerName: String?) -> ConfigurationSource {
        switch providerName {
        case flagProvider.providerName:
            .flag(flagNames[key.name] ?? "--set \(key.name)")
        case environmentProvider.providerName:
            .environment(variable: key.environmentVariable)
        case fileProvider.providerName:
            .file(path: filePath ?? "")
        default:
            .defaultValue
        }
    }

    private static func knownKey(_ name: String, in source: ConfigurationSource) throws(SwitchyardError) -> SettingKey {
        if let key = SettingKey.named(name) { return key }
        throw SwitchyardError(
            .invalidConfiguration,
            "unknown configuration key '\(name)' in \(source.location); \(KeySuggestion.question(for: name, among: SettingKey.all.map(\.name)))Remove it or fix its name (`switchyard config show` lists the keys)."
        )
    }
}

/// Remembers which provider supplied the value of the last key read, as swift-configuration reports it.
private final class ResolvingProviderRecorder: AccessReporter {
    private let resolvingProvider = LockedValue<String?>(nil)

    func report(_ event: AccessEvent) {
        let provider = event.providerResults.first { result in
            if case .success(let lookup) = result.result { return lookup.value != nil }
            return false
        }
        resolvingProvider.withLock { $0 = provider?.providerName }
    }

    /// The provider that supplied the last value read, or `nil` when none did; clears it.
    func takeResolvingProvider() -> String? {
        resolvingProvider.withLock { provider in
            defer { provider = nil }
            return provider
        }
    }
}
