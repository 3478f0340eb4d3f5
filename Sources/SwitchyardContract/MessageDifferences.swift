import Switchyard

/// How a received message differs from the one sent, in words.
enum MessageDifferences {
    /// Every field of `received` that differs from `sent`; `publishedAt` counts only when `sent` set it.
    static func between(sent: Message, received: Message) -> [String] {
        var differences: [String] = []
        if received.id != sent.id {
            differences.append("id \(received.id) instead of \(sent.id)")
        }
        if received.key != sent.key {
            differences.append("key \(show(received.key)) instead of \(show(sent.key))")
        }
        if received.payload != sent.payload {
            differences.append("payload \(bytes(received.payload, against: sent.payload))")
        }
        if received.headers != sent.headers {
            differences.append("headers \(show(received.headers)) instead of \(show(sent.headers))")
        }
        if let stamp = sent.publishedAt, received.publishedAt != stamp {
            differences.append("publishedAt \(received.publishedAt.map(String.init) ?? "nil") instead of \(stamp)")
        }
        return differences
    }

    private static func show(_ key: [UInt8]?) -> String {
        guard let key else { return "nil" }
        return String(validating: key, as: UTF8.self).map { "\"\($0)\"" } ?? "\(key.count) binary bytes"
    }

    private static func show(_ headers: [MessageHeader]) -> String {
        "[" + headers.map { "\($0.name)=\($0.stringValue.map { "\"\($0)\"" } ?? "\($0.value)")" }.joined(separator: ", ") + "]"
    }

    private static func bytes(_ received: [UInt8], against sent: [UInt8]) -> String {
        if received.count != sent.count {
            return "of \(received.count) bytes instead of \(sent.count)"
        }
        let index = received.indices.first { received[$0] != sent[$0] } ?? 0
        return "differs first at byte \(index) (\(received[index]) instead of \(sent[index]))"
    }
}
