import ArgumentParser
import Switchyard

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How `consume` prints a message.
///
/// `json` writes one object per line with these fields, in this order:
/// - `id`, `topic`, then the position fields the backend gives (`partition`, `offset`, `deliveryTag`,
///   `redelivered`), `deliveryAttempt` and `publishedAt` (microseconds since the epoch);
/// - `key` (absent when the message has none) with `keyEncoding`;
/// - `headers`, an object from name to value; when a name occurs more than once, the last value wins;
/// - `headerList`, every header in order as a `[name, value]` pair, repeated names included: the
///   exact, lossless form;
/// - `headersEncoding`, which covers every header value in `headers` and `headerList` at once;
/// - `payload` with `payloadEncoding`.
///
/// Each encoding is `utf8` when the bytes are valid UTF-8, and otherwise `base64`, in which case the
/// value is the standard Base64 of the bytes.
///
/// `text` writes one readable line per message; values that are not UTF-8 appear as `base64:…`, and
/// line breaks and other control characters in the id, key, headers and payload are escaped as in JSON
/// (`\n`, `\r`, `\t`, `\u001b`), so a message never spans lines.
public enum MessageFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case text
    case json

    /// The message as one line, newline included.
    func render(_ delivery: Delivery) -> String {
        var details = delivery.position.fields.map { field in
            MessageDetail(name: field.name, value: field.value, isJSONLiteral: true)
        }
        details.append(MessageDetail(name: "deliveryAttempt", textName: "attempt", value: String(delivery.deliveryAttempt), isJSONLiteral: true))
        return render(delivery.message, topic: delivery.topic, details: details)
    }

    /// `message` of `topic` as one line, newline included, with `details` (where it came from) after
    /// the topic.
    func render(_ message: Message, topic: String, details: [MessageDetail]) -> String {
        switch self {
        case .json: Self.json(message, topic: topic, details: details)
        case .text: Self.text(message, topic: topic, details: details)
        }
    }

    private static func json(_ message: Message, topic: String, details: [MessageDetail]) -> String {
        var object = JSONObjectWriter()
        object.string("id", message.id)
        object.string("topic", topic)
        for detail in details {
            if detail.isJSONLiteral { object.raw(detail.name, detail.value) } else { object.string(detail.name, detail.value) }
        }
        if let publishedAt = message.publishedAt { object.raw("publishedAt", String(publishedAt)) }
        if let key = message.key {
            let (text, encoding) = encode(key)
            object.string("key", text)
            object.string("keyEncoding", encoding)
        }
        let headersAreText = message.headers.allSatisfy { $0.stringValue != nil }
        let headerValues = message.headers.map { headersAreText ? $0.stringValue ?? "" : base64($0.value) }
        var lastValue: [String: String] = [:]
        var names: [String] = []
        for (header, value) in zip(message.headers, headerValues) {
            if lastValue.updateValue(value, forKey: header.name) == nil { names.append(header.name) }
        }
        var headers = JSONObjectWriter()
        for name in names {
            headers.string(name, lastValue[name] ?? "")
        }
        object.raw("headers", headers.finished())
        let pairs = zip(message.headers, headerValues).map { "[" + JSONObjectWriter.quoted($0.name) + "," + JSONObjectWriter.quoted($1) + "]" }
        object.raw("headerList", "[" + pairs.joined(separator: ",") + "]")
        object.string("headersEncoding", headersAreText ? "utf8" : "base64")
        let (payload, payloadEncoding) = encode(message.payload)
        object.string("payload", payload)
        object.string("payloadEncoding", payloadEncoding)
        return object.finished() + "\n"
    }

    private static func text(_ message: Message, topic: String, details: [MessageDetail]) -> String {
        var fields = [topic]
        fields += details.map { "\($0.textName)=\($0.value)" }
        fields.append("id=\(message.id)")
        if let key = message.key { fields.append("key=\(readable(key))") }
        if !message.headers.isEmpty {
            fields.append("headers={" + message.headers.map { "\($0.name)=\(readable($0.value))" }.joined(separator: ", ") + "}")
        }
        return escaped(fields.joined(separator: " ") + " | " + readable(message.payload), forJSON: false) + "\n"
    }

    /// `text` on one line: line breaks, tabs and other control characters escaped the way JSON escapes
    /// them (`\n`, `\r`, `\t`, `\u001b`), as are U+0080–U+009F, U+2028 and U+2029. With `forJSON`, `"`
    /// and `\` are escaped too, making it the inside of a JSON string literal.
    fileprivate static func escaped(_ text: String, forJSON: Bool) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"" where forJSON: result += "\\\""
            case "\\" where forJSON: result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func encode(_ bytes: [UInt8]) -> (text: String, encoding: String) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, "utf8") }
        return (base64(bytes), "base64")
    }

    private static func readable(_ bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) ?? "base64:" + base64(bytes)
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}

/// Builds one JSON object, fields in the order they are added.
private struct JSONObjectWriter {
    private var text = "{"
    private var isEmpty = true

    mutating func string(_ name: String, _ value: String) {
        raw(name, Self.quoted(value))
    }

    mutating func raw(_ name: String, _ json: String) {
        if !isEmpty { text += "," }
        isEmpty = false
        text += Self.quoted(name) + ":" + json
    }

    func finished() -> String { text + "}" }

    /// `value` as a JSON string literal.
    static func quoted(_ value: String) -> String {
        "\"" + MessageFormat.escaped(value, forJSON: true) + "\""
    }
}

/// A field that says where a printed message came from, such as its partition or gateway position.
struct MessageDetail {
    /// The JSON field name.
    var name: String
    /// The name in `text` output.
    var textName: String
    var value: String
    /// Whether `value` is a JSON number or boolean, written without quotes.
    var isJSONLiteral: Bool

    init(name: String, textName: String? = nil, value: String, isJSONLiteral: Bool) {
        self.name = name
        self.textName = textName ?? name
        self.value = value
        self.isJSONLiteral = isJSONLiteral
    }
}
