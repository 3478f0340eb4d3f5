import Switchyard
import Testing

@Suite("Messages and names")
struct MessageTests {
    @Test("generated ids are lowercase UUIDv7 strings, unique and time-ordered")
    func generatedIDsAreUUIDv7() {
        let ids = (0..<10_000).map { _ in MessageID.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "7"), "version nibble of \(id)")
            #expect("89ab".utf8.contains(bytes[19]), "variant nibble of \(id)")
            #expect(id == id.lowercased())
        }
        let millis = ids.map { $0.prefix(13) }
        #expect(millis == millis.sorted())
    }

    @Test("the time in a generated id is the current time")
    func idCarriesTheTime() throws {
        let before = WallClock.nowMicroseconds() / 1000
        let id = MessageID.generate()
        let hex = id.filter { $0 != "-" }.prefix(12)
        let millis = try #require(Int64(hex, radix: 16))
        #expect(abs(millis - before) < 1000)
    }

    @Test("encodedSize counts key, payload and headers")
    func encodedSizeCountsEverything() {
        let message = Message(key: [1, 2, 3], payload: [UInt8](repeating: 0, count: 10), headers: [MessageHeader(name: "ab", value: [9, 9])])
        #expect(message.encodedSize == 3 + 10 + 2 + 2)
    }

    @Test("text accessors return nil for bytes that are not UTF-8")
    func textAccessorsRejectInvalidUTF8() {
        let message = Message(key: [0xFF], payload: [0xC3, 0x28], headers: [MessageHeader(name: "h", value: [0xFE])])
        #expect(message.keyString == nil)
        #expect(message.payloadString == nil)
        #expect(message.headers[0].stringValue == nil)
        #expect(Message(key: "k€y", payload: "π").keyString == "k€y")
    }

    @Test("valid topic names pass", arguments: ["prices", "prices.dlq", "a", "BTC-USD_ticks.v2", String(repeating: "x", count: 249)])
    func validTopicNames(name: String) throws {
        try TopicName.validate(name)
    }

    @Test(
        "invalid topic names are refused with a message that names the problem",
        arguments: [
            ("", "empty"),
            ("..", "reserved"),
            ("has space", "' '"),
            ("slash/name", "'/'"),
            ("prix€", "non-ASCII"),
            (String(repeating: "x", count: 250), "limit is 249"),
        ]
    )
    func invalidTopicNames(name: String, expectedFragment: String) {
        #expect {
            try TopicName.validate(name)
        } throws: { error in
            guard let error = error as? SwitchyardError else { return false }
            return error.code == .invalidTopicName && error.message.contains(expectedFragment) && !error.isRetriable
        }
    }
}
