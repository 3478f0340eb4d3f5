import Switchyard
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The file is flattened here with Yams rather than read through swift-configuration's `YAMLSnapshot`
// (its `YAML` trait), because that snapshot cannot list the keys a file sets, so an unknown key could
// not be rejected; it lets `a: {b: 1}` silently override `a.b: 2`; it reads an empty value as text;
// and its syntax errors quote the offending line, which may hold a secret.
/// A YAML or JSON configuration file, flattened to dotted keys.
///
/// Nested mappings and dotted names are equivalent: `inmemory: {partitions: 8}` and
/// `inmemory.partitions: 8` both set `inmemory.partitions`. A sequence of scalars is joined with commas.
struct ConfigurationFile {
    /// The path the file was read from.
    let path: String
    /// The dotted keys and their values as text, in file order.
    let values: [(key: String, value: String)]

    /// Reads and flattens the file at `path`.
    static func load(path: String) throws(SwitchyardError) -> ConfigurationFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SwitchyardError(.invalidConfiguration, "Cannot read config file \(path): \(error.localizedDescription). Check the --config path.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SwitchyardError(.invalidConfiguration, "Config file \(path) is not UTF-8 text. Save it as UTF-8 YAML or JSON.")
        }
        return try parse(text, path: path)
    }

    /// Flattens YAML or JSON text; `path` is only used in error messages.
    static func parse(_ text: String, path: String) throws(SwitchyardError) -> ConfigurationFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw SwitchyardError(.invalidConfiguration, "Config file \(path) is not valid YAML or JSON: \(problem(in: error)). Fix the file.")
        }
        var flattener = Flattener(path: path)
        switch root {
        case nil:
            break
        case .mapping(let mapping)?:
            try flattener.flatten(mapping, prefix: nil)
        case .some:
            throw SwitchyardError(
                .invalidConfiguration,
                "Config file \(path) must hold a mapping of keys to values at the top level, such as `backend: inmemory`."
            )
        }
        return ConfigurationFile(path: path, values: flattener.values)
    }

    /// Where and what the syntax error is, without the text around it: that text may hold a secret.
    private static func problem(in error: any Error) -> String {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _)?, .parser(_, let problem, let mark, _)?, .composer(_, let problem, let mark, _)?:
            "\(problem) at line \(mark.line), column \(mark.column)"
        case .reader(let problem, _, _, _)?:
            problem
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            "\(duplicates.map { "'\($0)'" }.joined(separator: ", ")) set more than once in one mapping at line \(context.mark.line), column \(context.mark.column)"
        default:
            "\(error)"
        }
    }

    private struct Flattener {
        let path: String
        var values: [(key: String, value: String)] = []
        var seen: Set<String> = []

        mutating func flatten(_ mapping: Node.Mapping, prefix: String?) throws(SwitchyardError) {
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode, !keyScalar.string.isEmpty else {
                    throw problem("has a key that is not plain text under '\(prefix ?? "the top level")'", fix: "Use text keys.")
                }
                let key = prefix.map { "\($0).\(keyScalar.string)" } ?? keyScalar.string
                switch valueNode {
                case .mapping(let nested):
                    try flatten(nested, prefix: key)
                case .scalar(let scalar):
                    if valueNode.null != nil {
                        throw problem("gives no value for '\(key)'", fix: "Set a value or remove the key.")
                    }
                    try add(key, scalar.string)
                case .sequence(let sequence):
                    var items: [String] = []
                    for item in sequence {
                        guard case .scalar(let scalar) = item else {
                            throw problem("has a list under '\(key)' whose items are not plain values", fix: "List plain values only.")
                        }
                        items.append(scalar.string)
                    }
                    try add(key, items.joined(separator: ","))
                case .alias:
                    throw problem("uses an alias for '\(key)'", fix: "Write the value out.")
                }
            }
        }

        private mutating func add(_ key: String, _ value: String) throws(SwitchyardError) {
            guard seen.insert(key).inserted else {
                throw problem("sets '\(key)' more than once", fix: "Keep one of them.")
            }
            values.append((key, value))
        }

        private func problem(_ what: String, fix: String) -> SwitchyardError {
            SwitchyardError(.invalidConfiguration, "Config file \(path) \(what). \(fix)")
        }
    }
}
