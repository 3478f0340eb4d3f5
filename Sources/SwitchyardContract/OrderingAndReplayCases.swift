import Switchyard

/// Cases 3 and 10: per-key order, and starting a group somewhere other than its committed position.
extension ContractRun {
    func orderPerKey() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("ordered", partitions: 4)
        let options = ConsumerOptions(group: name("g"), startPosition: freshStart, ordering: .perKey)
        guard has(.orderedPerKey) else {
            try await expectError([.unsupported], "makeConsumer with per-key ordering on a backend without orderedPerKey") {
                _ = try await openConsumer(topic, options)
            }
            checked(.orderedPerKey)
            return .provedUnsupported
        }
        let consumer = try await makeConsumer(topic, options)
        let producer = try await makeProducer()
        let keys = 8
        let sent = messages(200, label: "ordered", key: { "key-\($0 % keys)" })
        try await sendAll(sent, to: topic, with: producer)

        let tally = try await collect(sent.map(\.id), from: [consumer], "keyed messages")
        try tally.requireExactlyOnce("keyed messages")
        var lastByKey: [String: Int] = [:]
        var breaks: [String] = []
        for delivery in tally.firstArrivals {
            let key = delivery.message.keyString ?? "nil"
            let sequence = delivery.message.header(Self.sequenceHeader).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? -1
            if let last = lastByKey[key], sequence < last {
                breaks.append("\(key): #\(sequence) after #\(last)")
            }
            lastByKey[key] = sequence
        }
        try require(breaks.isEmpty, "each key's messages in send order", seen: "order breaks \(ContractViolation.list(breaks))")
        checked(.orderedPerKey)
        return .proved
    }

    func replayFromEarliest() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("replay", partitions: 2)
        guard has(.replay) else {
            try await expectError([.unsupported], "makeConsumer starting at .earliest on a backend without replay") {
                _ = try await openConsumer(topic, ConsumerOptions(group: name("g"), startPosition: .earliest))
            }
            try await expectError([.unsupported], "makeConsumer starting at a timestamp on a backend without replay") {
                _ = try await openConsumer(topic, ConsumerOptions(group: name("g"), startPosition: .timestamp(microseconds: 0)))
            }
            checked(.replay)
            return .provedUnsupported
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
        checked(.replay)
        return .proved
    }
}
