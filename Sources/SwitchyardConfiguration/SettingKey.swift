import Logging
import Switchyard

/// One configuration key: its name, the values it accepts, whether it holds a secret, and what it means.
///
/// ``all`` is the single list of known keys. Validation, environment variable names, defaults and
/// `switchyard config show` are all derived from it, so a key added here is accepted everywhere.
public struct SettingKey: Sendable {
    /// How much of a value is secret.
    public enum Secrecy: Sendable, Hashable {
        /// The value can be shown.
        case none
        /// The whole value is hidden.
        case whole
        /// The value is a URL whose password, if any, is hidden.
        case urlPassword
    }

    /// The dotted name, such as `inmemory.partitions`.
    public let name: String
    /// The accepted values, in words, such as `inmemory, kafka, rabbitmq, dual`.
    public let allowed: String
    /// Whether the value must be hidden in output and logs.
    public let secrecy: Secrecy
    /// What the key means.
    public let summary: String
    /// The error code for an invalid value.
    let invalidValueCode: SwitchyardError.Code
    /// The key's value in `settings`, as configuration text.
    let read: @Sendable (SwitchyardSettings) -> String?
    /// Parses configuration text into `settings`; throws when the text is not one of ``allowed``.
    let write: @Sendable (inout SwitchyardSettings, String) throws(InvalidValue) -> Void

    /// A value outside ``allowed``; the loader words the error, since it knows the source.
    struct InvalidValue: Error {}

    /// The value when no layer sets the key, as configuration text; `nil` when it has none.
    public var defaultValue: String? { read(SwitchyardSettings()) }

    /// The key's path components.
    public var components: [String] {
        name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The environment variable that sets this key, such as `SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS` for
    /// `kafka.bootstrapServers`.
    public var environmentVariable: String {
        EnvironmentNaming.variable(for: components)
    }

    /// The value as it may be shown: secrets replaced by `<redacted>`, and only the password of a URL.
    public func displayValue(_ value: String) -> String {
        Redaction.redact(value, secrecy: secrecy)
    }
}

extension SettingKey {
    /// The prefix of the free-form Kafka client properties, passed to librdkafka unchanged.
    public static let kafkaPropertiesPrefix = "kafka.properties."

    /// The key that selects the backend.
    public static let backend = choice(
        "backend", \.backend, code: .unknownBackend,
        summary: "The broker to run on."
    )

    /// Every key with a fixed name, in the order `config show` prints them.
    public static let all: [SettingKey] = [
        backend,
        integer("inmemory.partitions", \.inmemory.partitions, in: 1...1024, summary: "Partitions of topics created on demand."),
        integer(
            "inmemory.retentionMessagesPerPartition", \.inmemory.retentionMessagesPerPartition, in: 1...1_000_000_000,
            summary: "Messages kept per partition; older ones are dropped."
        ),
        integer("inmemory.maxMessageBytes", \.inmemory.maxMessageBytes, in: 1...(1 << 30), summary: "The largest message accepted, key and headers included."),
        boolean("inmemory.autoCreateTopics", \.inmemory.autoCreateTopics, summary: "Sending to a missing topic creates it."),
        list("kafka.bootstrapServers", \.kafka.bootstrapServers, summary: "Comma-separated host:port pairs of the Kafka cluster."),
        url("rabbitmq.url", \.rabbitmq.url, schemes: ["amqp", "amqps"], summary: "The RabbitMQ broker, amqp://user:password@host:port/vhost."),
        choice("rabbitmq.queueType", \.rabbitmq.queueType, summary: "The queue type: quorum (default) or classic queues per consumer group, or one stream per topic (replay)."),
        choice("dual.primary", \.dual.primary, summary: "The backend that must acknowledge every dual-written send."),
        choice("dual.secondary", \.dual.secondary, summary: "The backend that receives a spooled, retried copy."),
        choice("dual.readFrom", \.dual.readFrom, summary: "The side that consumers read from."),
        text("dual.spool", \.dual.spool, summary: "The directory of the durable spool for unacknowledged copies."),
        gatewayTokens,
        logLevel("log.level", \.log.level, summary: "The lowest level of log messages written to stderr."),
    ]

    /// The gateway's bearer tokens: secret, so never shown, and unset unless configured.
    static let gatewayTokens = SettingKey(
        name: "gateway.tokens",
        allowed: "TOKEN=TOPIC,TOPIC entries separated by ; or new lines",
        secrecy: .whole,
        summary: "Bearer tokens the gateway accepts, each with the topics it may use (a topic may be * or end in *).",
        invalidValueCode: .invalidConfiguration,
        read: { $0.gateway.tokens },
        write: { settings, value in settings.gateway.tokens = value }
    )

    /// The key named `name`: one of ``all`` or a `kafka.properties.` key; `nil` when it is unknown.
    public static func named(_ name: String) -> SettingKey? {
        if let key = all.first(where: { $0.name == name }) { return key }
        if name.hasPrefix(kafkaPropertiesPrefix), name.count > kafkaPropertiesPrefix.count, !name.hasSuffix(".") {
            return kafkaProperty(String(name.dropFirst(kafkaPropertiesPrefix.count)))
        }
        return nil
    }

    /// A free-form librdkafka property. Properties whose names suggest a credential are secret.
    static func kafkaProperty(_ property: String) -> SettingKey {
        SettingKey(
            name: kafkaPropertiesPrefix + property,
            allowed: "any text",
            secrecy: Redaction.isSecretPropertyName(property) ? .whole : .none,
            summary: "The librdkafka property '\(property)'.",
            invalidValueCode: .invalidConfiguration,
            read: { $0.kafka.properties[property] },
            write: { settings, value in settings.kafka.properties[property] = value }
        )
    }

    /// Every key that has a value in `settings`, with the value as configuration text and as it may be
    /// shown.
    public static func entries(of settings: SwitchyardSettings) -> [(key: String, value: String, displayValue: String)] {
        let properties = settings.kafka.properties.keys.sorted().map { kafkaProperty($0) }
        return (all + properties).compactMap { key in
            key.read(settings).map { (key.name, $0, key.displayValue($0)) }
        }
    }
}

extension SettingKey {
    /// A key stored at `path`, shown with `show` and parsed by `parse`, which returns `nil` for text
    /// outside `allowed`.
    private static func stored<Value>(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, Value> & Sendable,
        allowed: String,
        secrecy: Secrecy = .none,
        code: SwitchyardError.Code = .invalidConfiguration,
        summary: String,
        show: @escaping @Sendable (Value) -> String,
        parse: @escaping @Sendable (String) -> Value?
    ) -> SettingKey {
        SettingKey(
            name: name,
            allowed: allowed,
            secrecy: secrecy,
            summary: summary,
            invalidValueCode: code,
            read: { show($0[keyPath: path]) },
            write: { settings, text throws(InvalidValue) in
                guard let value = parse(text) else { throw InvalidValue() }
                settings[keyPath: path] = value
            }
        )
    }

    private static func integer(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, Int> & Sendable,
        in range: ClosedRange<Int>,
        summary: String
    ) -> SettingKey {
        stored(name, path, allowed: "an integer from \(range.lowerBound) to \(range.upperBound)", summary: summary, show: String.init) { text in
            Int(text.trimmed.filter { $0 != "_" }).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    private static func boolean(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, Bool> & Sendable,
        summary: String
    ) -> SettingKey {
        stored(name, path, allowed: "true, false", summary: summary, show: String.init) { text in
            switch text.trimmed.lowercased() {
            case "true", "yes", "1": true
            case "false", "no", "0": false
            default: nil
            }
        }
    }

    private static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, Value> & Sendable,
        code: SwitchyardError.Code = .invalidConfiguration,
        summary: String
    ) -> SettingKey where Value.RawValue == String {
        stored(
            name, path, allowed: Value.allCases.map(\.rawValue).joined(separator: ", "), code: code, summary: summary,
            show: \.rawValue
        ) { Value(rawValue: $0.trimmed.lowercased()) }
    }

    private static func logLevel(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, Logger.Level> & Sendable,
        summary: String
    ) -> SettingKey {
        stored(name, path, allowed: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "), summary: summary, show: \.rawValue) {
            Logger.Level(rawValue: $0.trimmed.lowercased())
        }
    }

    private static func list(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, [String]> & Sendable,
        summary: String
    ) -> SettingKey {
        stored(name, path, allowed: "a comma-separated list of non-empty items", summary: summary, show: { $0.joined(separator: ",") }) { text in
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
            return items.contains(where: \.isEmpty) ? nil : items
        }
    }

    private static func url(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, String> & Sendable,
        schemes: [String],
        summary: String
    ) -> SettingKey {
        stored(
            name, path, allowed: "a URL starting with " + schemes.map { "\($0)://" }.joined(separator: " or "), secrecy: .urlPassword,
            summary: summary, show: { $0 }
        ) { text in
            let value = text.trimmed
            let known = schemes.contains { value.lowercased().hasPrefix("\($0)://") }
            return known && !value.contains(where: \.isWhitespace) ? value : nil
        }
    }

    private static func text(
        _ name: String,
        _ path: any WritableKeyPath<SwitchyardSettings, String> & Sendable,
        summary: String
    ) -> SettingKey {
        stored(name, path, allowed: "non-empty text", summary: summary, show: { $0 }) { $0.trimmed.isEmpty ? nil : $0 }
    }
}
