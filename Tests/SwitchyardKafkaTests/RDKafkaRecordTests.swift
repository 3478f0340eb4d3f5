import Testing

@testable import SwitchyardKafka

@Suite struct RDKafkaRecordTests {
    @Test(arguments: [
        "0", "1776000000000000", "-42", "+42", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "", "+", "-", "12a", " 1", "1 ", "--1", "١",
    ])
    func publishedAtDigitsAreReadAsInt64ReadsAString(_ text: String) {
        var text = text
        let decoded = text.withUTF8 { RDKafkaRecord.decimal(UnsafeRawBufferPointer($0)) }
        #expect(decoded == Int64(text))
    }
}
