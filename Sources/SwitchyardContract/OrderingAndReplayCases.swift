import Switchyard

/// Cases 3 and 10: per-key order, also across a consumer joining its group, and starting a group somewhere other than its committed position.
extension ContractRun {
    func orderPerKey() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("ordered", partitions: 4)
        let options = ConsumerOptions(group: name("g"), startPosition: freshStart, ordering: .perKey)
        guard has(.orderedPerKey) else {
            return try await provedUnsupported(.orderedPerKey, "makeConsumer with per-key ordering on a backend without orderedPerKey") {
                _ = try await openConsumer(topic, options)
            }
        }
        let consumer = try await makeConsumer(topic, options)
        let producer = try await makeProducer()
        let sent = messages(200, label: "ordered", key: { "key-\($0 % 8)" })
        try await sendAll(sent, to: topic, with: producer)

        let tally = try await collect(sent.map(\.id), from: [consumer], "keyed messages")
        try tally.requireExactlyOnce("keyed messages")
        try requireKeyOrder(tally, "each key's messages in send order")
        try await expectNothingMore(from: consumer, "once every keyed message arrived")

        if has(.competingConsumers) {
            try await orderPerKeyAcrossAJoin()
        } else {
            note("Without competingConsumers, per-key order was not checked across a consumer joining the group.")
        }
        checked(.orderedPerKey)
        return .proved
    }

    /// A second consumer joins the group while the first holds every message sent so far, unacked: each
    /// key's messages, as the two process them (acking each right after), still come in send order,
    /// none lost or repeated.
    private func orderPerKeyAcrossAJoin() async throws {
        let topic = try await makeTopic("ordered-join", partitions: 4)
        let options = ConsumerOptions(group: name("g"), startPosition: freshStart, ordering: .perKey)
        let first = try await makeConsumer(topic, options)
        let producer = try await makeProducer()
        let sent = messages(200, label: "ordered across a join", key: { "key-\($0 % 8)" })
        let (before, after) = (Array(sent.prefix(40)), Array(sent.dropFirst(40)))
        try await sendAll(before, to: topic, with: producer)

        var held: [Delivery] = []
        while held.count < before.count {
            held += try await receiveWaiting(from: first, maxMessages: before.count - held.count, "keyed messages for the first consumer")
        }
        let second = try await makeConsumer(topic, options)
        try await sendAll(after, to: topic, with: producer)

        let tally = DeliveryTally(expecting: sent.map(\.id))
        try await collect(
            into: tally, from: [first, second], "keyed messages processed by two consumers, the second joining mid-stream",
            holding: held, maxMessages: 1
        )
        try tally.requireExactlyOnce("keyed messages across a consumer joining the group")
        try requireKeyOrder(tally, "each key's messages in send order across a consumer joining the group")
        try await expectNothingMore(from: [first, second], "in the group once every keyed message was processed")
        let counts = [0, 1].map { index in tally.arrivals.filter { $0.consumer == index }.count }
        note("Across the join the consumers processed \(counts[0]) and \(counts[1]) messages.")
    }

    /// Fails the case unless every key's messages were recorded in `tally` in send order.
    private func requireKeyOrder(_ tally: DeliveryTally, _ expected: String) throws {
        var lastByKey: [String: Int] = [:]
        var breaks: [String] = []
        for arrival in tally.arrivals {
            let message = arrival.delivery.message
            let key = message.keyString ?? "nil"
            let sequence = message.header(Self.sequenceHeader).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? -1
            if let last = lastByKey[key], sequence < last {
                breaks.append("\(key): #\(sequence) after #\(last) (consumer \(arrival.consumer + 1))")
            }
            lastByKey[key] = sequence
        }
        try require(breaks.isEmpty, expected, seen: "order breaks \(ContractViolation.list(breaks))")
    }

    func replayFromEarliest() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("replay", partitions: 2)
        guard has(.replay) else {
            try await expectError([.unsupported], "makeConsumer starting at .earliest on a backend without replay") {
                _ = try await openConsumer(topic, ConsumerOptions(group: name("g"), startPosition: .earliest))
            }
            return try await provedUnsupported(.replay, "makeConsumer starting at a timestamp on a backend without replay") {
                _ = try await openConsumer(topic, ConsumerOptions(group: name("g"), startPosition: .timestamp(microseconds: 0)))
            }
        }
        let producer = try await makeProducer()
        let early = messages(5, label: "before the boundary", key: { "key-\($0 % 3)" })
        let late = messages(5, label: "after the boundary", key: { "key-\($0 % 3)" })
        try await sendAll(early, to: topic, with: producer)
        try await Task.sleep(for: .milliseconds(20))
        let boundary = WallClock.nowMicroseconds()
        try await Task.sleep(for: .milliseconds(20))
        try await sendAll(late, to: topic, with: producer)

        let fromStart = try await makeConsumer(topic, ConsumerOptions(group: name("from-start"), startPosition: .earliest))
        try await collect((early + late).map(\.id), from: [fromStart], "messages replayed from the earliest position")
            .requireExactlyOnce("messages replayed from the earliest position")

        let fromTime = try await makeConsumer(topic, ConsumerOptions(group: name("from-time"), startPosition: .timestamp(microseconds: boundary)))
        try await collect(late.map(\.id), from: [fromTime], "messages published after the start time")
            .requireExactlyOnce("messages published after the start time, and none before it,")
        try await expectNothingMore(from: [fromStart, fromTime], "for groups that started at the earliest position or at a time")
        checked(.replay)
        return .proved
    }
}
