import Switchyard

/// Cases 4, 5, 8 and 9: how consumer groups share, hand over and resume a topic's messages.
extension ContractRun {
    func everyGroupGetsEveryMessage() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("groups", partitions: 2)
        let first = try await makeConsumer(topic, ConsumerOptions(group: name("first"), startPosition: freshStart))
        let second = try await makeConsumer(topic, ConsumerOptions(group: name("second"), startPosition: freshStart))
        let producer = try await makeProducer()
        let sent = messages(30, label: "fan-out", key: { "key-\($0 % 5)" })
        try await sendAll(sent, to: topic, with: producer)

        try await collect(sent.map(\.id), from: [first], "messages for the first group").requireExactlyOnce("messages in the first group")
        try await collect(sent.map(\.id), from: [second], "messages for the second group").requireExactlyOnce("messages in the second group")
        try await expectNothingMore(from: [first, second], "in either group once each had every message")
        return .proved
    }

    func competingConsumers() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("competing", partitions: 4)
        let group = name("g")
        let options = ConsumerOptions(group: group, startPosition: freshStart)
        let first = try await makeConsumer(topic, options)
        guard has(.competingConsumers) else {
            return try await provedUnsupported(.competingConsumers, "a second consumer in group \(group) on a backend without competingConsumers") {
                _ = try await openConsumer(topic, options)
            }
        }
        let second = try await makeConsumer(topic, options)
        let producer = try await makeProducer()
        let sent = messages(200, label: "shared work", key: { "key-\($0)" })
        try await sendAll(sent, to: topic, with: producer)

        let tally = DeliveryTally(expecting: sent.map(\.id))
        try await collect(into: tally, from: [first, second], "messages shared by the group")
        // A consumer that joins the group a little late, after the other took the first messages, gets
        // its share of what is sent once it has joined: rounds of 20 more go out until both have one.
        var rounds = 0
        let roundsEnd = ContinuousClock.now + harness.waitTimeLimit
        while shares(of: tally).contains(0), ContinuousClock.now < roundsEnd {
            rounds += 1
            let more = messages(20, label: "shared work, round \(rounds + 1)", key: { "key-\(rounds)-\($0)" })
            tally.expect(more.map(\.id))
            try await sendAll(more, to: topic, with: producer)
            try await collect(into: tally, from: [first, second], "messages shared by the group, round \(rounds + 1)")
            if shares(of: tally).contains(0) { try await Task.sleep(for: .milliseconds(250)) }
        }
        // Sharing partitions out can rebalance the group while it works, and a rebalance may deliver a
        // message again (at-least-once; see *Delivery Promise* in the Switchyard documentation): redeliveries are counted, losses fail the case.
        let total = tally.expected.count
        try require(
            tally.missing.isEmpty && tally.unexpected.isEmpty,
            "each of the \(total) messages processed by the group's two consumers, none lost",
            seen: tally.summary
        )
        let counts = shares(of: tally)
        try require(
            counts.allSatisfy { $0 > 0 },
            "both consumers of the group to get a share of the messages within \(harness.waitTimeLimit)",
            seen: "shares of \(counts[0]) and \(counts[1]) of \(total) messages"
        )
        if rounds > 0 {
            let sentMore = rounds == 1 ? "1 more round" : "\(rounds) more rounds"
            note("One consumer had no share of the first 200 messages (it joined after they were taken); \(sentMore) of 20 went out until it had.")
        }
        let redelivered = tally.duplicates.reduce(0) { $0 + $1.count - 1 }
        if redelivered > 0 {
            note("A rebalance redelivered \(redelivered) messages already processed (at-least-once).")
        }
        try await expectNothingMore(from: [first, second], "in the group once it had every message")
        note("The consumers took \(counts[0]) and \(counts[1]) messages.")
        checked(.competingConsumers)
        return .proved
    }

    /// How many deliveries each of two consumers recorded in `tally`, redeliveries included.
    private func shares(of tally: DeliveryTally) -> [Int] {
        let arrivals = tally.arrivals
        return [0, 1].map { index in arrivals.filter { $0.consumer == index }.count }
    }

    func unackedGoesToNextConsumer() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("handover")
        let group = name("g")
        let first = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: freshStart))
        let producer = try await makeProducer()
        let sent = messages(5, label: "handover")
        try await sendAll(sent, to: topic, with: producer)

        let received = try await collect(sent.map(\.id), from: [first], "messages for the first consumer", settle: .keep)
        try received.requireExactlyOnce("messages for the first consumer")
        let inOrder = received.firstArrivals
        let acked = Array(inOrder.prefix(2))
        for delivery in acked {
            try await step("acking \(delivery.message.id)") { try await delivery.ack() }
        }
        try await step("closing the first consumer with 3 deliveries unacked") { try await first.close() }

        let next = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: .committed))
        let unacked = inOrder.dropFirst(2).map(\.message.id)
        let handedOver = try await collect(unacked, from: [next], "unacked messages for the next consumer")
        try handedOver.requireExactlyOnce("unacked messages, and none of the acked \(ContractViolation.list(acked.map(\.message.id))),")
        try await expectNothingMore(from: next, "for the next consumer once it had the unacked ones")
        return .proved
    }

    func restartedConsumerResumes() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("resume", partitions: 2)
        let group = name("g")
        let first = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: freshStart))
        let producer = try await makeProducer()
        let before = messages(20, label: "before restart", key: { "key-\($0 % 4)" })
        try await sendAll(before, to: topic, with: producer)

        let received = try await collect(before.map(\.id), from: [first], "messages before the restart", settle: .keep)
        let acked = Array(received.firstArrivals.prefix(10))
        for delivery in acked {
            try await step("acking \(delivery.message.id)") { try await delivery.ack() }
        }
        try await step("closing the consumer that acked 10 of 20") { try await first.close() }

        let after = messages(10, label: "while the group is away", key: { "key-\($0 % 4)" })
        try await sendAll(after, to: topic, with: producer)

        let restarted = try await anotherClient()
        let resumed = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: .committed), on: restarted)
        let ackedIDs = Set(acked.map(\.message.id))
        let expected = (before + after).map(\.id).filter { !ackedIDs.contains($0) }
        let tally = try await collect(expected, from: [resumed], "messages after the committed position")
        try tally.requireExactlyOnce("messages after the committed position, and none of the 10 acked,")
        try await expectNothingMore(from: resumed, "for the resumed consumer once it had everything after the committed position")
        return .proved
    }
}
