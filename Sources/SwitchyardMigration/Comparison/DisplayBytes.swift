/// Bytes as a report shows them: UTF-8 text when they are valid UTF-8, otherwise `0x` and hexadecimal,
/// cut at a length with `…`.
enum DisplayBytes {
    static func text(_ bytes: [UInt8], limit: Int = 64) -> String {
        let full: String
        if let text = String(validating: bytes, as: UTF8.self) {
            full = text
        } else {
            let digits: [Character] = Array("0123456789abcdef")
            var hex = "0x"
            for byte in bytes.prefix(limit) {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
            full = hex
        }
        return full.count > limit ? String(full.prefix(limit)) + "…" : full
    }

    static func key(_ bytes: [UInt8]?) -> String? {
        bytes.map { text($0) }
    }
}
