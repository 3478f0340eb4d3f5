import Switchyard

/// A parsed `amqp://` or `amqps://` URL: where the broker is and how to log in.
///
/// Its `description` never shows the password, so an endpoint is safe to log.
public struct RabbitMQEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Whether the connection uses TLS (`amqps`).
    public let usesTLS: Bool
    public let host: String
    public let port: Int
    public let user: String
    let password: String
    /// The virtual host; `/` when the URL has no path.
    public let virtualHost: String

    /// Parses `amqp://user:password@host:port/vhost`. User and password default to `guest`, the port
    /// to 5672 (5671 for `amqps`), and the virtual host to `/`. Percent-escapes are decoded, so the
    /// virtual host `/` may also be written `%2F`.
    ///
    /// - Throws: `SwitchyardError.Code.invalidConfiguration` naming what is wrong, without the password.
    public init(url: String) throws(SwitchyardError) {
        func invalid(_ why: String) -> SwitchyardError {
            SwitchyardError(.invalidConfiguration, "rabbitmq.url \(Self.redact(url)) is not valid: \(why). Use amqp://user:password@host:port/vhost.")
        }
        var rest = Substring(url)
        if rest.hasPrefix("amqps://") {
            usesTLS = true
            rest = rest.dropFirst("amqps://".count)
        } else if rest.hasPrefix("amqp://") {
            usesTLS = false
            rest = rest.dropFirst("amqp://".count)
        } else {
            throw invalid("the scheme must be amqp:// or amqps://")
        }
        if rest.contains("?") || rest.contains("#") {
            throw invalid("query parameters and fragments are not supported; set the rabbitmq.* settings instead")
        }
        let authority: Substring
        let path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = nil
        }
        var hostPart = authority
        var userInfo: Substring?
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
        }
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = Self.percentDecoded(parts[0]) else { throw invalid("the user has a bad percent-escape") }
            guard let password = parts.count > 1 ? Self.percentDecoded(parts[1]) : "" else { throw invalid("the password has a bad percent-escape") }
            self.user = user
            self.password = password
        } else {
            user = "guest"
            password = "guest"
        }
        var hostName = hostPart
        var portNumber = usesTLS ? 5671 : 5672
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw invalid("an IPv6 host lacks its closing ']'") }
            hostName = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else { throw invalid("the port is not a number from 1 to 65535") }
                portNumber = parsed
            } else if !after.isEmpty {
                throw invalid("unexpected text after the IPv6 host")
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            hostName = hostPart[..<colon]
            guard let parsed = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw invalid("the port is not a number from 1 to 65535")
            }
            portNumber = parsed
        }
        guard !hostName.isEmpty else { throw invalid("the host is missing") }
        host = String(hostName)
        port = portNumber
        if let path, !path.isEmpty {
            guard let decoded = Self.percentDecoded(path) else { throw invalid("the virtual host has a bad percent-escape") }
            virtualHost = decoded
        } else {
            virtualHost = "/"
        }
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let vhost = virtualHost == "/" ? "" : virtualHost
        return "\(usesTLS ? "amqps" : "amqp")://\(user):***@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(vhost)"
    }

    /// `url` with any password replaced by `***`, for messages about a URL that did not parse.
    static func redact(_ url: String) -> String {
        let characters = Array(url)
        guard let schemeEnd = (0..<max(0, characters.count - 2)).first(where: { characters[$0] == ":" && characters[$0 + 1] == "/" && characters[$0 + 2] == "/" }),
            let at = characters.lastIndex(of: "@"), at > schemeEnd + 3,
            let colon = characters[(schemeEnd + 3)..<at].firstIndex(of: ":")
        else { return url }
        return String(characters[..<colon]) + ":***" + String(characters[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
