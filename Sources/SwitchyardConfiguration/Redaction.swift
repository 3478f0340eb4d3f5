/// Hides secrets in configuration values.
public enum Redaction {
    /// What is shown in place of a secret.
    public static let placeholder = "<redacted>"

    /// The librdkafka properties that librdkafka itself marks as sensitive, whatever their names say.
    static let sensitiveKafkaProperties: Set<String> = [
        "ssl.key.location",
        "ssl.key.password",
        "ssl.key.pem",
        "ssl.ca.pem",
        "ssl.keystore.password",
        "sasl.username",
        "sasl.password",
        "sasl.oauthbearer.config",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.oauthbearer.assertion.private.key.pem",
    ]

    /// Fragments of a property name that mark its value as a credential.
    static let secretNameFragments = ["password", "passphrase", "secret", "token", "credential", "private.key", "key.pem", "sasl.jaas"]

    /// Whether a free-form property with this name holds a credential: librdkafka marks it sensitive, or
    /// its name contains a fragment such as `password`, `secret`, `token` or `private.key`.
    public static func isSecretPropertyName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return sensitiveKafkaProperties.contains(lowered) || secretNameFragments.contains { lowered.contains($0) }
    }

    /// The value with its secret parts replaced by ``placeholder``.
    public static func redact(_ value: String, secrecy: SettingKey.Secrecy) -> String {
        switch secrecy {
        case .none: value
        case .whole: placeholder
        case .urlPassword: redactURLPassword(value)
        }
    }

    /// The URL with the password of its user information replaced: `amqp://user:<redacted>@host/vhost`.
    ///
    /// The user information is everything between the scheme (or the start, when there is none) and
    /// the last `@`, so a password holding an unencoded `/`, `?`, `#` or `@` is hidden in full. A URL
    /// whose path holds an `@` may be redacted more than needed, never less. A value without `@`, or
    /// without `:` before it, has no password and is returned unchanged.
    public static func redactURLPassword(_ url: String) -> String {
        let userStart = url.range(of: "://")?.upperBound ?? url.startIndex
        guard let at = url[userStart...].lastIndex(of: "@"),
            let colon = url[userStart..<at].firstIndex(of: ":")
        else { return url }
        return String(url[..<url.index(after: colon)]) + placeholder + String(url[at...])
    }
}
