import Switchyard
import SwitchyardInMemory
import Testing

struct Tick: Codable, Sendable, Equatable {
    var symbol: String
    var price: Double
}

@Suite("Typed topics", .timeLimit(.minutes(1)))
struct TypedTopicTests {
    @Test("a Codable value round-trips through a JSON topic with its content type")
    func jsonTopicRoundTrip() async throws {
        let backend = InMemoryBackend()
        let ticks = Topic<Tick>.json("typed-ticks")
        let consumer = try await backend.makeConsumer(topic: ticks.name, options: ConsumerOptions(startPosition: .earliest))
        let producer = try await backend.makeProducer()
        try await producer.send(Tick(symbol: "BTC-USD", price: 97_000.5), key: "BTC-USD", to: ticks)
        let delivery = try #require(try await consumer.receive(maxMessages: 1).first)
        #expect(try delivery.decode(ticks) == Tick(symbol: "BTC-USD", price: 97_000.5))
        #expect(delivery.message.keyString == "BTC-USD")
        #expect(delivery.message.header("content-type").flatMap { String(decoding: $0, as: UTF8.self) } == "application/json")
        try await delivery.ack()
    }

    @Test("a payload that does not decode is an invalidMessage error naming the type")
    func undecodablePayload() {
        let ticks = Topic<Tick>.json("typed-ticks")
        #expect {
            try ticks.decode(Message(key: nil, payload: "not json"))
        } throws: { error in
            let error = error as? SwitchyardError
            return error?.code == .invalidMessage && error?.message.contains("Tick") == true
        }
    }
}
