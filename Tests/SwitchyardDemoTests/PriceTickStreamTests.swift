import Logging
import Switchyard
import SwitchyardInMemory
import Testing

@testable import SwitchyardDemo

@Suite(.timeLimit(.minutes(1))) struct PriceTickStreamTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    private let topic = Topic<PriceTick>.json("ticks")

    private func message(_ tick: PriceTick, id: String = MessageID.generate(), run: String) throws -> Message {
        var message = try topic.encode(tick, key: tick.symbol, headers: [MessageHeader(name: PriceTickStream.runHeader, value: run)])
        message.id = id
        return message
    }

    private func tick(_ sequence: Int64) -> PriceTick {
        PriceTick(symbol: "BTC-USD", price: 100 + Double(sequence), size: 1, time: sequence, sequence: sequence)
    }

    @Test func duplicatesOtherRunsAndUndecodableMessagesAreCountedAndLeftOut() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: topic.name, partitions: 1))
        let consumer = try await backend.makeConsumer(topic: topic.name, options: ConsumerOptions(group: "g"), logger: logger)
        let producer = try await backend.makeProducer(logger: logger)
        try await producer.send([
            try message(tick(1), run: "other"),
            try message(tick(2), id: "same", run: "mine"),
            try message(tick(2), id: "same", run: "mine"),
            Message(key: "BTC-USD", payload: "not json", headers: [MessageHeader(name: PriceTickStream.runHeader, value: "mine")]),
            try message(tick(3), run: "mine"),
        ], to: topic.name)

        let tally = DeliveryTally()
        var received: [PriceTick] = []
        for try await tick in PriceTickStream(consumer: consumer, topic: topic, runID: "mine", tally: tally, logger: logger) {
            received.append(tick)
            if received.count == 2 { break }
        }
        try await consumer.close()
        try await producer.close()

        #expect(received == [tick(2), tick(3)])
        let snapshot = tally.snapshot()
        #expect(snapshot.duplicates == 1)
        #expect(snapshot.skipped == 2)
        #expect(snapshot.received == 2)
        #expect(snapshot.latency.totalCount == 2)
    }

    @Test func aBatchIsAckedOnceTheLoopAsksForTheTickAfterItsLast() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: topic.name, partitions: 1))
        let first = try await backend.makeConsumer(topic: topic.name, options: ConsumerOptions(group: "g"), logger: logger)
        let producer = try await backend.makeProducer(logger: logger)
        try await producer.send([try message(tick(1), run: "r"), try message(tick(2), run: "r")], to: topic.name)

        var seen: [Int64] = []
        for try await received in PriceTickStream(consumer: first, topic: topic, runID: "r", logger: logger) {
            seen.append(received.sequence)
            // Tick 3 is sent after the first batch was received, so it comes in a batch of its own.
            if received.sequence == 2 { try await producer.send(try message(tick(3), run: "r"), to: topic.name) }
            if received.sequence == 3 { break }
        }
        try await first.close()

        // Asking for tick 3 acked the batch of ticks 1 and 2; leaving the loop on tick 3 left its batch
        // unacked, so the group's next consumer starts there.
        let second = try await backend.makeConsumer(topic: topic.name, options: ConsumerOptions(group: "g"), logger: logger)
        for try await tick in PriceTickStream(consumer: second, topic: topic, runID: "r", logger: logger) {
            seen.append(tick.sequence)
            break
        }
        try await second.close()
        try await producer.close()

        #expect(seen == [1, 2, 3, 3])
    }
}
