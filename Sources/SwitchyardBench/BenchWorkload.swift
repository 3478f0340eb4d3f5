import Switchyard

/// The messages a bench run sends, built before any clock starts so the harness allocates nothing per
/// message while it is measured.
package struct BenchWorkload: Sendable {
    /// The messages, each with its own id, a key from a small set and a payload of the requested size.
    package let messages: [Message]
    /// The same messages cut into batches, for batched sends.
    package let batches: [[Message]]
    /// How many distinct keys the messages have; the first `keyCount` messages have one each.
    package static let keyCount = 16

    /// - Parameters:
    ///   - count: how many messages.
    ///   - size: the payload size in bytes.
    ///   - batch: the batch size for batched sends.
    package init(count: Int, size: Int, batch: Int) {
        var random = SystemRandomNumberGenerator()
        let payloads: [[UInt8]] = (0..<64).map { _ in (0..<size).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) } }
        let keys: [[UInt8]] = (0..<Self.keyCount).map { Array("key-\($0)".utf8) }
        var messages: [Message] = []
        messages.reserveCapacity(count)
        for index in 0..<count {
            messages.append(Message(key: keys[index % keys.count], payload: payloads[index % payloads.count]))
        }
        self.messages = messages
        self.batches = batch > 1 ? stride(from: 0, to: count, by: batch).map { Array(messages[$0..<min($0 + batch, count)]) } : []
    }
}
