/// How configuration keys map to `SWITCHYARD_*` environment variables.
///
/// The mapping is swift-configuration's environment key encoding with a `SWITCHYARD_` prefix: a
/// lowercase letter followed by an uppercase one gets an underscore between them, other characters
/// become underscores, and dots become underscores. So `kafka.bootstrapServers` is
/// `SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS`. For `kafka.properties.*` the reverse mapping lowercases the
/// rest and turns underscores into dots: `SWITCHYARD_KAFKA_PROPERTIES_SASL_PASSWORD` sets
/// `kafka.properties.sasl.password`.
public enum EnvironmentNaming {
    /// The prefix every Switchyard environment variable has.
    public static let prefix = "SWITCHYARD_"

    /// The environment variable for a key's components, prefix included.
    public static func variable(for components: [String]) -> String {
        prefix + unprefixedVariable(for: components)
    }

    /// The environment variable for a key's components without the prefix, as swift-configuration's
    /// `EnvironmentVariablesProvider` looks it up.
    static func unprefixedVariable(for components: [String]) -> String {
        components.map { component in
            var result = ""
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase {
                    result.append("_")
                }
                result += character.isLetter || character.isNumber ? character.uppercased() : "_"
                previous = character
            }
            return result
        }
        .joined(separator: "_")
    }

    /// The key an environment variable (prefix removed) sets, or `nil` when no key matches.
    static func key(forUnprefixedVariable variable: String) -> SettingKey? {
        if let key = SettingKey.all.first(where: { unprefixedVariable(for: $0.components) == variable }) {
            return key
        }
        let propertiesPrefix = unprefixedVariable(for: ["kafka", "properties"]) + "_"
        guard variable.hasPrefix(propertiesPrefix) else { return nil }
        let property = variable.dropFirst(propertiesPrefix.count)
            .lowercased()
            .split(separator: "_", omittingEmptySubsequences: false)
            .joined(separator: ".")
        return SettingKey.named(SettingKey.kafkaPropertiesPrefix + property)
    }
}
