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

    /// `SWITCHYARD_*` variables that configure Switchyard's own test suites rather than a setting, with
    /// what each does. Loading the configuration ignores them, so one shell can run the tests and the
    /// tools alike; every other unknown `SWITCHYARD_*` variable is still an error.
    public static let testVariables: [(name: String, meaning: String)] = [
        ("SWITCHYARD_KAFKA_BROKERS", "run the Kafka test suite against this real cluster (host:port list) instead of the in-process mock"),
        ("SWITCHYARD_TEST_RABBITMQ_HOST", "the host of the RabbitMQ broker the RabbitMQ tests use, instead of 127.0.0.1"),
    ]

    /// Whether `variable` (prefix included) is one of ``testVariables``.
    static func isTestVariable(_ variable: String) -> Bool {
        testVariables.contains { $0.name == variable }
    }

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
