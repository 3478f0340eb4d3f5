import GRPCCore
import Switchyard

/// The bearer tokens a gateway accepts, each allowed a set of topics.
///
/// A call carries its token in the `authorization` metadata as `Bearer <token>`. With no tokens
/// configured, the gateway is open and every call is allowed. Otherwise a call without a known token
/// fails with `UNAUTHENTICATED`, and one for a topic outside its token's scope with `PERMISSION_DENIED`.
///
/// Tokens are secrets: no description, log line or error message of the gateway contains one.
public struct AccessTokens: Sendable, CustomStringConvertible {
    private var scopes: [String: TopicScope]

    /// No tokens: an open gateway.
    public init() {
        scopes = [:]
    }

    /// Tokens and the topics each may use. A topic pattern is a topic name, `*` for every topic, or a
    /// prefix followed by `*`, such as `prices.*`.
    public init(_ topicsByToken: [String: [String]]) {
        scopes = topicsByToken.mapValues(TopicScope.init)
    }

    /// Parses `TOKEN=PATTERN,PATTERN;TOKEN=PATTERN`, the form of `SWITCHYARD_GATEWAY_TOKENS` and of a
    /// token file (where newlines may separate the entries too).
    ///
    /// - Throws: `SwitchyardError` `invalidConfiguration` naming the entry (by position, never by its
    ///   token) that has no `=` or no topic.
    public init(parsing text: String) throws(SwitchyardError) {
        var topicsByToken: [String: [String]] = [:]
        let entries = text.split(whereSeparator: { $0 == ";" || $0 == "\n" })
            .map { $0.trimmingCharacters(in: " \t\r") }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for (index, entry) in entries.enumerated() {
            guard let equals = entry.firstIndex(of: "=") else {
                throw SwitchyardError(
                    .invalidConfiguration,
                    "gateway token entry \(index + 1) has no '=': write TOKEN=TOPIC,TOPIC (a topic may be * or end in *)"
                )
            }
            let token = String(entry[..<equals])
            let topics = entry[entry.index(after: equals)...].split(separator: ",")
                .map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
            guard !token.isEmpty, !topics.isEmpty else {
                throw SwitchyardError(
                    .invalidConfiguration,
                    "gateway token entry \(index + 1) needs a token before '=' and at least one topic after it"
                )
            }
            topicsByToken[token, default: []].append(contentsOf: topics)
        }
        self.init(topicsByToken)
    }

    /// Whether any token is configured; when not, the gateway is open.
    public var isEnabled: Bool { !scopes.isEmpty }

    /// How many tokens there are, never which.
    public var description: String { isEnabled ? "\(scopes.count) token(s)" : "none (open)" }

    /// Checks the call's token against `topic`.
    ///
    /// - Throws: `RPCError` with `UNAUTHENTICATED` when the token is missing or unknown, and
    ///   `PERMISSION_DENIED` when its scope does not cover `topic`.
    func authorize(_ metadata: Metadata, topic: String) throws(RPCError) {
        guard let scope = try scope(of: metadata) else { return }
        guard scope.allows(topic) else {
            throw RPCError(code: .permissionDenied, message: "this token is not allowed topic '\(topic)'")
        }
    }

    /// The scope of the call's token, or `nil` when the gateway is open.
    ///
    /// - Throws: `RPCError` with `UNAUTHENTICATED` when the token is missing or unknown.
    func scope(of metadata: Metadata) throws(RPCError) -> TopicScope? {
        guard isEnabled else { return nil }
        guard let header = metadata[stringValues: "authorization"].first(where: { _ in true }) else {
            throw RPCError(
                code: .unauthenticated,
                message: "this gateway needs a token: send 'authorization: Bearer <token>' metadata"
            )
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix,
            let scope = scopes[String(header.dropFirst(prefix.count))]
        else {
            throw RPCError(code: .unauthenticated, message: "the bearer token is not one this gateway accepts")
        }
        return scope
    }
}

/// The topics one token may use.
struct TopicScope: Sendable {
    private let names: Set<String>
    private let prefixes: [String]

    init(_ patterns: [String]) {
        names = Set(patterns.filter { !$0.hasSuffix("*") })
        prefixes = patterns.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
    }

    func allows(_ topic: String) -> Bool {
        names.contains(topic) || prefixes.contains { topic.hasPrefix($0) }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        String(drop(while: characters.contains).reversed().drop(while: characters.contains).reversed())
    }
}
