import Switchyard

/// Cases 1, 2 and 16: what goes in comes out, on the right topic, singly and in batches.
extension ContractRun {
    func roundTrip() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("roundtrip")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()

        let megabyte = 1 << 20
        let largeSize = min(megabyte, backend.limits.maxMessageBytes - 1024)
        if largeSize < megabyte {
            note("maxMessageBytes is \(backend.limits.maxMessageBytes), so the large payload is \(largeSize) bytes, not 1 MiB.")
        }
        let large = Self.randomBytes(largeSize)
        let everyByte = (0...255).map(UInt8.init)
        let stamp = WallClock.nowMicroseconds()
        let sent = [
            Message(payload: [], publishedAt: stamp),
            Message(
                key: Array(everyByte.reversed()),
                payload: everyByte,
                headers: [
                    MessageHeader(name: "binary", value: everyByte),
                    MessageHeader(name: "empty", value: []),
                    MessageHeader(name: "repeated", value: "first"),
                    MessageHeader(name: "repeated", value: "second"),
                ],
                publishedAt: stamp + 1
            ),
            Message(
                key: "clé-🔑-ключ",
                payload: "Grüße, 世界! 📈 ₿ naïve café",
                headers: [MessageHeader(name: "note", value: "ünïcödé ☕ 値")],
                publishedAt: stamp + 2
            ),
            Message(key: Array("large".utf8), payload: large, headers: [MessageHeader(name: "size", value: String(largeSize))], publishedAt: stamp + 3),
        ]
        try await sendAll(sent, to: topic, with: producer)

        let tally = try await collect(sent.map(\.id), from: [consumer], "round-trip messages")
        try tally.requireExactlyOnce("round-trip messages")
        let byID = Dictionary(uniqueKeysWithValues: sent.map { ($0.id, $0) })
        for delivery in tally.firstArrivals {
            guard let original = byID[delivery.message.id] else { continue }
            let differences = MessageDifferences.between(sent: original, received: delivery.message)
            try require(
                differences.isEmpty,
                "message \(original.id) to arrive byte-identical",
                seen: differences.joined(separator: "; ")
            )
            try require(delivery.topic == topic, "message \(original.id) to report topic \(topic)", seen: "topic \(delivery.topic)")
            try require(
                delivery.deliveryAttempt == 1,
                "a first delivery to report attempt 1",
                seen: "attempt \(delivery.deliveryAttempt) for \(original.id)"
            )
        }
        return .proved
    }

    func topicIsolation() async throws -> ContractOutcome.Result {
        let first = try await makeTopic("isolated")
        let second = first + ".more"
        try await step("ensureTopic(\(second))") { try await backend.ensureTopic(TopicSpec(name: second)) }
        let group = name("g")
        let firstConsumer = try await makeConsumer(first, ConsumerOptions(group: group, startPosition: freshStart))
        let secondConsumer = try await makeConsumer(second, ConsumerOptions(group: group, startPosition: freshStart))
        let producer = try await makeProducer()

        let toFirst = messages(10, label: "first topic")
        let toSecond = messages(10, label: "second topic")
        for (a, b) in zip(toFirst, toSecond) {
            try await sendAll([a], to: first, with: producer)
            try await sendAll([b], to: second, with: producer)
        }
        let fromFirst = try await collect(toFirst.map(\.id), from: [firstConsumer], "messages sent to \(first)")
        let fromSecond = try await collect(toSecond.map(\.id), from: [secondConsumer], "messages sent to \(second)")
        try fromFirst.requireExactlyOnce("messages sent to \(first), and none of \(second)'s,")
        try fromSecond.requireExactlyOnce("messages sent to \(second), and none of \(first)'s,")
        try await expectNothingMore(from: firstConsumer, "on \(first)")
        try await expectNothingMore(from: secondConsumer, "on \(second)")
        return .proved
    }

    func batchSendAndReceive() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("batch", partitions: 2)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()

        let batch = messages(100, label: "batch", key: { "key-\($0 % 7)" })
        let receipts = try await step("sending a batch of \(batch.count)") { try await producer.send(batch, to: topic) }
        try require(
            receipts.map(\.messageID) == batch.map(\.id) && receipts.allSatisfy { $0.topic == topic },
            "one receipt per message, in order, naming \(topic)",
            seen: "\(receipts.count) receipts for \(ContractViolation.list(receipts.map(\.messageID)))"
        )
        let none = try await step("sending an empty batch") { try await producer.send([Message](), to: topic) }
        try require(none.isEmpty, "an empty batch to return no receipts", seen: "\(none.count) receipts")

        let valid = Message(key: "valid", payload: "sent with an invalid neighbour")
        let invalid = Message(key: "invalid", payload: "reserved header", headers: [MessageHeader(name: MessageHeader.messageID, value: "forged")])
        try await expectError([.invalidMessage], "a batch holding a message with a reserved header") {
            try await producer.send([valid, invalid], to: topic)
        }

        try await Task.sleep(for: harness.quietPeriod)
        let maxMessages = 40
        let tally = try await collect(batch.map(\.id), from: [consumer], "batch-sent messages", maxMessages: maxMessages)
        try tally.requireExactlyOnce("batch-sent messages")
        let largest = tally.batchSizes.max() ?? 0
        try require(
            largest > 1,
            "receive(maxMessages: \(maxMessages)) to return several of 100 waiting messages at once",
            seen: "batches of \(tally.batchSizes)"
        )
        note("Receive batch sizes: \(tally.batchSizes).")
        try await expectNothingMore(from: consumer, "after the batches: the valid message of a refused batch must not be sent")
        return .proved
    }
}

extension ContractRun {
    /// `count` random bytes, eight from each draw of the system generator: a byte per draw took seconds
    /// for a megabyte, a stretch in which the task held one of the few threads of Swift's pool.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
