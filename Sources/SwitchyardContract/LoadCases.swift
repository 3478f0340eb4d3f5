import Switchyard

/// Cases 14 and 15: many concurrent sends, and a consumer too slow to keep up.
extension ContractRun {
    func concurrentSendsThenClose() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("concurrent", partitions: 4)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()
        let count = 10_000
        let sent = messages(count, label: "concurrent", key: { "key-\($0 % 64)" })

        let failures = await withTaskGroup(of: (String, any Error)?.self) { group in
            for message in sent {
                group.addTask {
                    do {
                        try await producer.send(message, to: topic)
                        return nil
                    } catch {
                        return (message.id, error)
                    }
                }
            }
            var failures: [(String, any Error)] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures
        }
        try require(
            failures.isEmpty,
            "all \(count) concurrent sends to succeed",
            seen: "\(failures.count) failed, the first with \(failures.first.map { ContractViolation.describe($0.1) } ?? "")"
        )
        try await step("closing the producer after \(count) sends") { try await producer.close() }

        let tally = try await collect(sent.map(\.id), from: [consumer], "concurrently sent messages", maxMessages: 1000)
        try tally.requireExactlyOnce("concurrently sent messages")
        try await expectNothingMore(from: consumer, "once every concurrently sent message arrived")
        return .proved
    }

    func slowConsumerBackpressure() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("backpressure", partitions: 2)
        let prefetch = 10
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart, prefetch: prefetch))
        let producer = try await makeProducer()
        let sent = messages(50, label: "backpressure", key: { "key-\($0 % 4)" })
        try await step("sending \(sent.count) messages as a batch") { try await producer.send(sent, to: topic) }

        var held: [Delivery] = []
        var seen: [String] = []
        while held.count < prefetch {
            let batch = try await receiveWaiting(from: consumer, maxMessages: 1000, "waiting messages")
            held += batch
            seen += batch.map(\.message.id)
            try require(
                held.count <= prefetch,
                "at most \(prefetch) unacked deliveries held by a consumer with prefetch \(prefetch)",
                seen: "\(held.count) after a receive returned \(batch.count)"
            )
        }
        try await expectNothingMore(from: consumer, "while \(prefetch) deliveries are unacked at the prefetch bound")

        let released = prefetch / 2
        for delivery in held.prefix(released) {
            try await step("acking \(delivery.message.id)") { try await delivery.ack() }
        }
        held.removeFirst(released)
        while Set(seen).count < sent.count {
            let batch = try await receiveWaiting(from: consumer, maxMessages: 1000, "waiting messages")
            seen += batch.map(\.message.id)
            try require(
                held.count + batch.count <= prefetch,
                "at most \(prefetch) unacked deliveries held by a consumer with prefetch \(prefetch)",
                seen: "\(held.count + batch.count) after a receive returned \(batch.count) with \(held.count) held"
            )
            for delivery in held + batch {
                try await step("acking \(delivery.message.id)") { try await delivery.ack() }
            }
            held = []
        }
        let duplicates = seen.count - Set(seen).count
        try require(duplicates == 0, "each of \(sent.count) messages once", seen: "\(duplicates) duplicate deliveries")
        try await expectNothingMore(from: consumer, "once all \(sent.count) were received and acked")
        return .proved
    }
}
