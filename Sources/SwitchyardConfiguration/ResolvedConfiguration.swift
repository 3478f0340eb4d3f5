/// The effective configuration: the validated settings, and every key's value and where it came from.
public struct ResolvedConfiguration: Sendable {
    /// One effective key.
    public struct Entry: Sendable, Hashable {
        /// The dotted key.
        public let key: String
        /// The value as it may be shown: secrets are `<redacted>`, and URLs show all but the password.
        public let displayValue: String
        /// The layer that supplied the value.
        public let source: ConfigurationSource
    }

    /// The settings the configuration selects.
    public let settings: SwitchyardSettings
    /// Every known key and every `kafka.properties.*` key that is set, in ``SettingKey/all`` order
    /// followed by the properties sorted by name.
    public let entries: [Entry]

    /// The entries as aligned `KEY VALUE SOURCE` lines, secrets redacted, ending with a newline.
    public func rendered() -> String {
        let rows: [(key: String, value: String, source: String)] =
            [("KEY", "VALUE", "SOURCE")] + entries.map { ($0.key, $0.displayValue, $0.source.description) }
        let keyWidth = rows.map(\.key.count).max() ?? 0
        let valueWidth = rows.map(\.value.count).max() ?? 0
        return rows.map { row in
            row.key.padding(to: keyWidth) + "  " + row.value.padding(to: valueWidth) + "  " + row.source + "\n"
        }
        .joined()
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
