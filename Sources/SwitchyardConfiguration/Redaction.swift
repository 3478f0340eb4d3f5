/// Hides secrets in configuration values.
public enum Redaction {
    /// What is shown in place of a secret.
    public static let placeholder = "<redacted>"

    /// Fragments of a property name that mark its value as a credential.
    static let secretNameFragments = ["password", "secret", "token", "sasl.jaas"]

    /// Whether a free-form property with this name holds a credential.
    public static func isSecretPropertyName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return secretNameFragments.contains { lowered.contains($0) }
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
    /// A URL without a password is returned unchanged.
    public static func redactURLPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = url[authorityStart...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
        let authority = url[authorityStart..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"),
            let colon = authority[..<at].firstIndex(of: ":")
        else { return url }
        return String(url[..<url.index(after: colon)]) + placeholder + String(url[at...])
    }
}
