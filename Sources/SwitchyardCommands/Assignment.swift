/// A command-line `name=value` pair, as `--set` and `--header` take: split at the first `=`, so the
/// value may itself contain `=`.
struct Assignment: Equatable {
    let name: String
    let value: String

    /// Splits `text`; `nil` when it has no `=` or nothing before it.
    init?(_ text: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        name = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
    }

    /// Why `text` is not a pair, for a flag such as `--set`, without echoing anything after an `=`:
    /// the value may be a secret.
    static func problem(with text: String, flag: String, form: String) -> String {
        text.contains("=")
            ? "\(flag) needs a name before '=', as in \(flag) \(form)."
            : "\(flag) '\(text)' is not of the form \(form)."
    }
}
