import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardInMemory

@Suite("In-memory backend", .timeLimit(.minutes(1)))
struct InMemoryBackendTests {
    @Test("murmur2 matches the values Kafka's Java client computes")
    func murmur2MatchesKafka() {
        let vectors: [(String, Int32)] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (input, expected) in vectors {
            #expect(Int32(bitPattern: KeyPartitioner.murmur2(Array(input.utf8))) == expected, "murmur2(\(input))")
        }
    }

    @Test("a key always lands on the same partition")
    func keyedMessagesShareAPartition() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "keyed", partitions: 6))
        let producer = try await backend.makeProducer()
        var partitions: Set<Int32> = []
        for index in 0..<20 {
            let receipt = try await producer.send(Message(key: "BTC-USD", payload: "\(index)"), to: "keyed")
            partitions.insert(try #require(receipt.position.partition))
        }
        #expect(partitions.count == 1)
        #expect(partitions.first == Int32(KeyPartitioner.partition(for: Array("BTC-USD".utf8), count: 6)))
    }

    @Test("retention drops the oldest messages and a lagging group skips them")
    func retentionBoundsThePartition() async throws {
        let backend = InMemoryBackend(configuration: .init(retentionMessagesPerPartition: 10))
        try await backend.ensureTopic(TopicSpec(name: "short", partitions: 1))
        let producer = try await backend.makeProducer()
        for index in 0..<25 {
            try await producer.send(Message(key: nil, payload: "\(index)"), to: "short")
        }
        let consumer = try await backend.makeConsumer(topic: "short", options: ConsumerOptions(startPosition: .earliest))
        let batch = try await consumer.receive(maxMessages: 100)
        #expect(batch.map(\.message.payloadString) == (15..<25).map { "\($0)" })
        #expect(batch.first?.position.offset == 15)
    }

    @Test("a topic that requires persistence is refused, since memory does not survive a restart")
    func persistenceIsRefused() async throws {
        let backend = InMemoryBackend()
        await #expect {
            try await backend.ensureTopic(TopicSpec(name: "durable", requiresPersistence: true))
        } throws: { error in
            (error as? SwitchyardError)?.code == .unsupported
        }
    }

    @Test("the shared registry gives one broker per name")
    func sharedBrokersAreNamed() {
        #expect(InMemoryBackend.shared(named: "a-test") === InMemoryBackend.shared(named: "a-test"))
        #expect(InMemoryBackend.shared(named: "a-test") !== InMemoryBackend.shared(named: "b-test"))
    }

    @Test("a stopped broker refuses sends with a retriable error and keeps stored messages")
    func stoppedBrokerKeepsItsLog() async throws {
        let backend = InMemoryBackend()
        let producer = try await backend.makeProducer()
        try await producer.send(Message(key: "k", payload: "before"), to: "outage")
        let consumer = try await backend.makeConsumer(topic: "outage", options: ConsumerOptions(group: "g", startPosition: .earliest))
        let first = try await consumer.receive(maxMessages: 10)
        #expect(first.count == 1)
        backend.stopBroker()
        await #expect {
            try await producer.send(Message(key: "k", payload: "during"), to: "outage")
        } throws: { error in
            let error = error as? SwitchyardError
            return error?.code == .brokerUnavailable && error?.isRetriable == true
        }
        await #expect(throws: SwitchyardError.self) { try await first[0].ack() }
        backend.startBroker()
        let again = try await consumer.receive(maxMessages: 10)
        #expect(again.map(\.message.payloadString) == ["before"])
        #expect(again.first?.deliveryAttempt == 2)
        try await again[0].ack()
    }

    @Test("two receives waiting on one consumer are both served")
    func concurrentReceivesOnOneConsumer() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "twice", partitions: 1))
        let consumer = try await backend.makeConsumer(topic: "twice", options: ConsumerOptions(group: "g"))
        let producer = try await backend.makeProducer()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask { try await consumer.receive(maxMessages: 1).count }
            }
            try await eventually("both receives waiting on the empty topic") { backend.waitingReceives(on: "twice") == 2 }
            try await producer.send(Message(key: nil, payload: "one"), to: "twice")
            try await producer.send(Message(key: nil, payload: "two"), to: "twice")
            var total = 0
            for try await count in group { total += count }
            #expect(total == 2)
        }
    }

    @Test("an iterator dropped with messages read ahead gives them back without counting an attempt")
    func droppedIteratorReleasesReadAhead() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "readahead", partitions: 1))
        let producer = try await backend.makeProducer()
        for index in 0..<5 {
            try await producer.send(Message(key: nil, payload: "\(index)"), to: "readahead")
        }
        let consumer = try await backend.makeConsumer(topic: "readahead", options: ConsumerOptions(group: "g", startPosition: .earliest))
        for try await delivery in consumer {
            try await delivery.ack()
            break
        }
        let rest = try await consumer.receive(maxMessages: 10)
        #expect(rest.map(\.message.payloadString) == ["1", "2", "3", "4"])
        #expect(rest.allSatisfy { $0.deliveryAttempt == 1 })
    }
}
