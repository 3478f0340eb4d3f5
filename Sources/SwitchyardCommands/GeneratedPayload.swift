/// The payloads `produce --count` sends: the message's index in decimal, a space, then `x` up to the
/// size, so each is distinct and readable. A size smaller than the index keeps its last digits.
enum GeneratedPayload {
    static func make(index: Int, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let label = Array("\(index) ".utf8).suffix(size)
        bytes.replaceSubrange(0..<label.count, with: label)
        return bytes
    }
}
