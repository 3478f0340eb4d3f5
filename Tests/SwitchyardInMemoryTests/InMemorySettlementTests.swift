import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardInMemory

@Suite("In-memory settlement and membership", .timeLimit(.minutes(1)))
struct InMemorySettlementTests {
    @Test("retention dropping deliveries in flight gives their prefetch back, so the consumer keeps going")
    func retentionDoesNotStallPrefetch() async throws {
        let backend = InMemoryBackend(configuration: .init(retentionMessagesPerPartition: 3))
        try await backend.ensureTopic(TopicSpec(name: "churn", partitions: 1))
        let producer = try await backend.makeProducer()
        let consumer = try await backend.makeConsumer(topic: "churn", options: ConsumerOptions(group: "g", startPosition: .earliest, prefetch: 2))
        try await producer.send([Message(key: nil, payload: "0"), Message(key: nil, payload: "1")], to: "churn")
        let held = try await consumer.receive(maxMessages: 10)
        #expect(held.count == 2)
        try await producer.send((2..<8).map { Message(key: nil, payload: "\($0)") }, to: "churn")
        let next = try await consumer.receive(maxMessages: 10)
        #expect(next.map(\.message.payloadString) == ["5", "6"])
        await #expect {
            try await held[0].ack()
        } throws: { ($0 as? SwitchyardError)?.code == .alreadySettled }
    }

    @Test("an old handle cannot settle the redelivery of the same message")
    func staleHandleCannotSettleRedelivery() async throws {
        let backend = InMemoryBackend()
        let producer = try await backend.makeProducer()
        let consumer = try await backend.makeConsumer(topic: "stale", options: ConsumerOptions(group: "g"))
        try await producer.send(Message(key: nil, payload: "once"), to: "stale")
        let first = try #require(try await consumer.receive(maxMessages: 1).first)
        try await first.nack(requeue: true)
        let second = try #require(try await consumer.receive(maxMessages: 1).first)
        #expect(second.message.id == first.message.id)
        #expect(second.deliveryAttempt == 2)
        await #expect {
            try await first.ack()
        } throws: { ($0 as? SwitchyardError)?.code == .alreadySettled }
        try await second.nack(requeue: true)
        let third = try #require(try await consumer.receive(maxMessages: 1).first)
        #expect(third.deliveryAttempt == 3)
        try await third.ack()
    }

    @Test("dead-lettering a delivery twice writes one copy to the dead-letter topic")
    func deadLetterTwiceWritesOnce() async throws {
        let backend = InMemoryBackend()
        let producer = try await backend.makeProducer()
        let consumer = try await backend.makeConsumer(topic: "poison", options: ConsumerOptions(group: "g"))
        try await producer.send(Message(key: nil, payload: "bad"), to: "poison")
        let delivery = try #require(try await consumer.receive(maxMessages: 1).first)
        try await delivery.deadLetter(reason: "unparseable")
        await #expect {
            try await delivery.deadLetter(reason: "again")
        } throws: { ($0 as? SwitchyardError)?.code == .alreadySettled }
        let dlq = try await backend.makeConsumer(topic: "poison.dlq", options: ConsumerOptions(startPosition: .earliest))
        let copies = try await dlq.receive(maxMessages: 10)
        #expect(copies.count == 1)
        #expect(copies.first?.message.header(DeadLetterHeader.reason) == Array("unparseable".utf8))
    }

    @Test("a partition moves to a joining member only after its old holder has settled what it holds")
    func joiningMemberWaitsForThePartitionToBeSettled() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "handover", partitions: 1))
        let producer = try await backend.makeProducer()
        let options = ConsumerOptions(group: "g", ordering: .perKey)
        let first = try await backend.makeConsumer(topic: "handover", options: options)
        try await producer.send([Message(key: "k", payload: "1"), Message(key: "k", payload: "2")], to: "handover")
        let held = try await first.receive(maxMessages: 1)
        #expect(held.map(\.message.payloadString) == ["1"])
        try await first.close()
        let second = try await backend.makeConsumer(topic: "handover", options: options)
        let third = try await backend.makeConsumer(topic: "handover", options: options)
        let batch = try await second.receive(maxMessages: 10)
        #expect(batch.map(\.message.payloadString) == ["1", "2"], "the closed holder's delivery comes first")
        let waiting = Task { try await third.receive(maxMessages: 10) }
        // A receive waits only once it has found nothing it may take: the partition is still held.
        try await eventually("the joining member's receive waiting for the held partition") { backend.waitingReceives(on: "handover") == 1 }
        try await second.close()
        let handedOver = try await waiting.value
        #expect(handedOver.map(\.message.payloadString) == ["1", "2"])
        #expect(handedOver.map(\.deliveryAttempt) == [3, 2])
    }

    @Test("a consumer dropped without close leaves its group and its deliveries go to the others")
    func droppedConsumerLeavesTheGroup() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "dropped", partitions: 1))
        let producer = try await backend.makeProducer()
        try await producer.send(Message(key: nil, payload: "held"), to: "dropped")
        do {
            let doomed = try await backend.makeConsumer(topic: "dropped", options: ConsumerOptions(group: "g", startPosition: .earliest))
            #expect(try await doomed.receive(maxMessages: 1).count == 1)
        }
        let survivor = try await backend.makeConsumer(topic: "dropped", options: ConsumerOptions(group: "g"))
        let redelivered = try await survivor.receive(maxMessages: 1)
        #expect(redelivered.map(\.message.payloadString) == ["held"])
        #expect(redelivered.first?.deliveryAttempt == 2)
    }

    @Test("a running loop ends when its consumer closes; a loop started on a closed consumer throws")
    func iteratorEndsOnClose() async throws {
        let backend = InMemoryBackend()
        let consumer = try await backend.makeConsumer(topic: "ending", options: ConsumerOptions(group: "g"))
        let closer = Task {
            try await eventually("the loop waiting for a message") { backend.waitingReceives(on: "ending") == 1 }
            try await consumer.close()
        }
        var iterator = consumer.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
        #expect(try await iterator.next() == nil)
        try await closer.value
        await #expect {
            try await consumer.receive(maxMessages: 1)
        } throws: { ($0 as? SwitchyardError)?.code == .consumerClosed }
        await #expect {
            for try await _ in consumer {}
        } throws: { ($0 as? SwitchyardError)?.code == .consumerClosed }
        await #expect {
            try await backend.makeConsumer(topic: "ending").receive(maxMessages: 0)
        } throws: { ($0 as? SwitchyardError)?.code == .invalidConfiguration }
    }
}

@Suite("In-memory competing consumers", .timeLimit(.minutes(1)))
struct InMemoryCompetingConsumerTests {
    @Test("two consumers in one group share its messages exactly once, with no rebalance redelivery")
    func competingConsumersShareExactlyOnce() async throws {
        let backend = InMemoryBackend()
        try await backend.ensureTopic(TopicSpec(name: "shared", partitions: 4))
        let options = ConsumerOptions(group: "g")
        let consumers = [
            try await backend.makeConsumer(topic: "shared", options: options),
            try await backend.makeConsumer(topic: "shared", options: options),
        ]
        let producer = try await backend.makeProducer()
        let sent = try await producer.send((0..<200).map { Message(key: "key-\($0)", payload: "\($0)") }, to: "shared")
        let tally = LockedValue((seen: [String: Int](), shares: [0, 0]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, consumer) in consumers.enumerated() {
                group.addTask {
                    while true {
                        let batch: [Delivery]
                        do {
                            batch = try await consumer.receive(maxMessages: 50)
                        } catch let error as SwitchyardError where error.code == .cancelled {
                            return
                        }
                        for delivery in batch {
                            tally.withLock { tally in
                                tally.seen[delivery.message.id, default: 0] += 1
                                tally.shares[index] += 1
                            }
                            try await delivery.ack()
                        }
                    }
                }
            }
            try await eventually("the group receiving every message sent") { tally.withLock { $0.seen.count } == sent.count }
            group.cancelAll()
        }
        let (seen, shares) = tally.withLock { $0 }
        #expect(Set(seen.keys) == Set(sent.map(\.messageID)))
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(shares.allSatisfy { $0 > 0 })
    }
}
