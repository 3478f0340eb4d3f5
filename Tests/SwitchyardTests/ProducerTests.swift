import Switchyard
import SwitchyardTestSupport
import Testing

@testable import SwitchyardInMemory

@Suite("Producer", .timeLimit(.minutes(1)))
struct ProducerTests {
    @Test("reserved header names, empty ids and oversized messages are refused before the broker")
    func badMessagesAreRefused() async throws {
        let backend = InMemoryBackend(configuration: .init(maxMessageBytes: 1000))
        let producer = try await backend.makeProducer()
        await #expect {
            try await producer.send(Message(key: nil, payload: "x", headers: [MessageHeader(name: "message-id", value: "spoof")]), to: "t")
        } throws: { ($0 as? SwitchyardError)?.code == .invalidMessage }
        await #expect {
            try await producer.send(Message(id: "", key: nil, payload: "x"), to: "t")
        } throws: { ($0 as? SwitchyardError)?.code == .invalidMessage }
        await #expect {
            try await producer.send(Message(payload: [UInt8](repeating: 1, count: 1001)), to: "t")
        } throws: { error in
            let error = error as? SwitchyardError
            return error?.code == .messageTooLarge && error?.message.contains("inmemory.maxMessageBytes") == true
        }
        let receipt = try await producer.send(Message(payload: [UInt8](repeating: 1, count: 1000)), to: "t")
        #expect(receipt.topic == "t")
    }

    @Test("send stamps publishedAt when it is unset and keeps it when it is set")
    func publishedAtIsStamped() async throws {
        let backend = InMemoryBackend()
        let consumer = try await backend.makeConsumer(topic: "stamp", options: ConsumerOptions(startPosition: .earliest))
        let producer = try await backend.makeProducer()
        let before = WallClock.nowMicroseconds()
        try await producer.send(Message(key: nil, payload: "a"), to: "stamp")
        try await producer.send(Message(key: nil, payload: "b", publishedAt: 42), to: "stamp")
        var stamps: [String: Int64] = [:]
        while stamps.count < 2 {
            for delivery in try await consumer.receive(maxMessages: 10) {
                stamps[delivery.message.payloadString ?? ""] = delivery.message.publishedAt
                try await delivery.ack()
            }
        }
        #expect(try #require(stamps["a"]) >= before)
        #expect(stamps["b"] == 42)
    }

    @Test("close waits for sends in flight, and later sends fail with producerClosed")
    func closeDrainsInFlightSends() async throws {
        let backend = GatedBackend(name: "gated-close")
        let producer = try await backend.makeProducer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5 {
                group.addTask { try await producer.send(Message(key: nil, payload: "\(index)"), to: "drain") }
            }
            try await eventually("five sends waiting at the gate") { backend.gate.waiting == 5 }
            let closed = LockedValue(false)
            let closing = Task {
                try await producer.close()
                closed.withLock { $0 = true }
            }
            // Not a wait: an observation window in which close must neither return nor cut a send short.
            try await Task.sleep(for: .milliseconds(50))
            #expect(!closed.withLock { $0 }, "close must wait for the sends in flight")
            #expect(backend.gate.waiting == 5, "close must not cut sends short")
            backend.gate.open()
            try await closing.value
            try await group.waitForAll()
        }
        await #expect {
            try await producer.send(Message(key: nil, payload: "late"), to: "drain")
        } throws: { ($0 as? SwitchyardError)?.code == .producerClosed }
        let consumer = try await backend.makeConsumer(topic: "drain", options: ConsumerOptions(startPosition: .earliest))
        #expect(try await consumer.receive(maxMessages: 10).count == 5)
    }

    @Test("a second close also waits for the sends in flight")
    func secondCloseWaitsToo() async throws {
        let backend = GatedBackend(name: "gated-second-close")
        let producer = try await backend.makeProducer()
        let sending = Task { try await producer.send(Message(key: nil, payload: "slow"), to: "twice-closed") }
        try await eventually("the send waiting at the gate") { backend.gate.waiting == 1 }
        let closes = LockedValue(0)
        let firstClose = Task {
            try await producer.close()
            closes.withLock { $0 += 1 }
        }
        let secondClose = Task {
            try await producer.close()
            closes.withLock { $0 += 1 }
        }
        // Not a wait: an observation window in which neither close may return.
        try await Task.sleep(for: .milliseconds(50))
        #expect(closes.withLock { $0 } == 0, "both closes must wait for the send in flight")
        #expect(backend.gate.waiting == 1)
        backend.gate.open()
        try await secondClose.value
        _ = try await sending.value
        try await firstClose.value
    }

    @Test("a cancelled task sends nothing and gets a cancelled error")
    func cancelledSendSendsNothing() async throws {
        let backend = InMemoryBackend()
        let producer = try await backend.makeProducer()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await producer.send(Message(key: nil, payload: "never"), to: "cancelled")
        }
        await #expect {
            try await task.value
        } throws: { ($0 as? SwitchyardError)?.code == .cancelled }
        let consumer = try await backend.makeConsumer(topic: "cancelled", options: ConsumerOptions(startPosition: .earliest))
        let probe = Task { try await consumer.receive(maxMessages: 1) }
        // A receive waits only once it has found nothing: the cancelled send left the topic empty.
        try await eventually("the receive waiting on the empty topic") { backend.waitingReceives(on: "cancelled") == 1 }
        probe.cancel()
        await #expect {
            try await probe.value
        } throws: { ($0 as? SwitchyardError)?.code == .cancelled }
    }
}
