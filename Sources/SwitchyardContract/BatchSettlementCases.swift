import Switchyard

/// Cases 23 to 27: batch receive with a time limit, and settling many deliveries at once.
extension ContractRun {
    func batchReceiveWithTimeout() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("timed-receive", partitions: 2)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let empty = try await timedReceive(from: consumer, max: 10, timeout: harness.quietPeriod, "a timed receive on an empty topic")
        try require(empty.isEmpty, "a timed receive on an empty topic to return an empty batch", seen: "\(empty.count) deliveries")

        let producer = try await makeProducer()
        let sent = messages(25, label: "timed batch", key: { "key-\($0 % 5)" })
        try await step("sending 25 messages in one batch") { try await producer.send(sent, to: topic) }
        let tally = DeliveryTally(expecting: sent.map(\.id))
        let deadline = ContinuousClock.now + harness.waitTimeLimit
        while !tally.isComplete, ContinuousClock.now < deadline {
            let batch = try await timedReceive(from: consumer, max: 4, timeout: harness.quietPeriod, "a timed receive of the sent messages")
            try require(batch.count <= 4, "receive(max: 4, timeout:) to return at most 4 deliveries", seen: "\(batch.count)")
            tally.record(batch, from: 0)
            try await step("acking a batch of \(batch.count)") { try await consumer.ack(batch) }
        }
        try tally.requireExactlyOnce("messages received with receive(max:timeout:)")
        let after = try await timedReceive(from: consumer, max: 10, timeout: harness.quietPeriod, "a timed receive once everything was acked")
        try require(after.isEmpty, "a timed receive after everything was acked to return an empty batch", seen: "\(after.count) deliveries")
        try await expectError([.invalidConfiguration], "receive(max: 0, timeout:)") {
            _ = try await consumer.receive(max: 0, timeout: .milliseconds(10))
        }
        return .proved
    }

    func batchAckInAnyOrder() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("batch-ack", partitions: 3)
        let group = name("g")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: freshStart))
        let producer = try await makeProducer()
        let sent = messages(60, label: "acked in any order", key: { "key-\($0 % 6)" })
        try await sendAll(sent, to: topic, with: producer)
        let received = try await collect(sent.map(\.id), from: [consumer], "messages to ack in any order", maxMessages: 16, settle: .keep)
        try received.requireExactlyOnce("messages to ack in any order")

        // A fixed permutation (37 is coprime with 60), so that every run acks in the same scrambled order.
        let arrivals = received.firstArrivals
        let shuffled = arrivals.indices.sorted { ($0 * 37) % arrivals.count < ($1 * 37) % arrivals.count }.map { arrivals[$0] }
        for chunk in stride(from: 0, to: shuffled.count, by: 20).map({ Array(shuffled[$0..<min($0 + 20, shuffled.count)]) }) {
            try await step("acking \(chunk.count) deliveries from several receives and partitions, shuffled") {
                try await consumer.ack(chunk)
            }
        }
        try await expectNothingMore(from: consumer, "after every delivery was acked in shuffled batches")
        try await step("closing the consumer that acked everything") { try await consumer.close() }

        let restarted = try await anotherClient()
        let resumed = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: .committed), on: restarted)
        let later = messages(6, label: "after the batch acks", key: { "key-\($0 % 6)" })
        try await sendAll(later, to: topic, with: producer)
        let tally = try await collect(later.map(\.id), from: [resumed], "messages sent after the batch acks")
        try tally.requireExactlyOnce("messages after the batch-acked ones, and none of those,")
        try await expectNothingMore(from: resumed, "for a restarted consumer once the batch-acked messages were committed")
        return .proved
    }

    func partialBatchAckThenCrash() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("partial-ack", partitions: 2)
        let group = name("g")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: freshStart))
        let producer = try await makeProducer()
        let sent = messages(40, label: "half acked", key: { "key-\($0 % 4)" })
        try await sendAll(sent, to: topic, with: producer)
        let received = try await collect(sent.map(\.id), from: [consumer], "messages of a batch to ack in part", settle: .keep)
        try received.requireExactlyOnce("messages of a batch to ack in part")

        // The first half of what each partition delivered is acked, as a consumer does when it dies
        // half-way through a batch that it processes in order.
        let byPartition = Dictionary(grouping: received.firstArrivals, by: { $0.position.partition ?? 0 })
        let acked = byPartition.values.flatMap { $0.prefix($0.count / 2) }
        try await step("acking the first half of each partition's deliveries in one batch") { try await consumer.ack(acked) }
        try await step("closing the consumer with the rest unsettled, as a crash leaves them") { try await consumer.close() }

        let restarted = try await anotherClient()
        let resumed = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: .committed), on: restarted)
        let ackedIDs = Set(acked.map(\.message.id))
        let rest = sent.map(\.id).filter { !ackedIDs.contains($0) }
        let tally = try await collect(rest, from: [resumed], "the unacked rest of the batch")
        try tally.requireExactlyOnce("the unacked rest of the batch, and none of the \(acked.count) acked,")
        try await expectNothingMore(from: resumed, "once the unacked rest of the batch was redelivered")
        return .proved
    }

    func settleTwiceOrTooLate() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("settle-twice")
        let group = name("g")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: freshStart))
        let other = try await makeConsumer(topic, ConsumerOptions(group: name("other"), startPosition: freshStart))
        let producer = try await makeProducer()
        let sent = messages(4, label: "settled twice", key: { _ in "k" })
        try await sendAll(sent, to: topic, with: producer)
        let mine = try await collect(sent.map(\.id), from: [consumer], "messages to settle twice", settle: .keep).firstArrivals
        let theirs = try await collect(sent.map(\.id), from: [other], "the other group's copies", settle: .keep).firstArrivals

        try await step("acking deliveries 0 and 1 in one batch") { try await consumer.ack([mine[0], mine[1]]) }
        try await expectError([.alreadySettled], "a batch ack naming delivery 1 again, with delivery 2") {
            try await consumer.ack([mine[1], mine[2]])
        }
        try await expectError([.alreadySettled], "a batch ack naming delivery 3 twice") {
            try await consumer.ack([mine[3], mine[3]])
        }
        try await expectError([.alreadySettled], "a batch ack naming another consumer's delivery, with delivery 2") {
            try await consumer.ack([mine[2], theirs[0]])
        }
        try await expectError([.alreadySettled], "acking delivery 0 alone after the batch acked it") { try await mine[0].ack() }
        try await step("acking deliveries 2 and 3, which the refused batches left unsettled") {
            try await consumer.ack([mine[3], mine[2]])
        }
        try await step("acking the other group's copies with their own consumer") { try await other.ack(theirs) }
        try await expectNothingMore(from: [consumer, other], "after every delivery was acked once")

        let late = Message(key: "k", payload: "acked after its consumer closed")
        try await sendAll([late], to: topic, with: producer)
        let held = try await receiveOne(late, from: consumer, "a message to ack after close")
        try await step("closing the consumer that holds it") { try await consumer.close() }
        try await expectError([.consumerClosed], "a batch ack after the consumer closed") { try await consumer.ack([held]) }
        try await expectError([.consumerClosed], "a batch nack after the consumer closed") { try await consumer.nack([held]) }
        let next = try await makeConsumer(topic, ConsumerOptions(group: group, startPosition: .committed))
        try await collect([late.id], from: [next], "the message whose late ack was refused")
            .requireExactlyOnce("the message whose late ack was refused, for the group's next consumer,")
        try await step("acking the rest of the other group's messages") {
            try await collect([late.id], from: [other], "the other group's copy of the late message")
        }
        return .proved
    }

    func cancelledBatchReceiveLosesNothing() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("cancelled-receive", partitions: 2)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let waiting = Task { try await consumer.receive(max: 10, timeout: .seconds(60)) }
        // The suite cannot see inside a backend whether the receive is parked yet, so it gives it a
        // moment; either way the cancellation must take no message.
        try? await Task.sleep(for: harness.quietPeriod / 4)
        waiting.cancel()
        switch await waiting.result {
        case .success(let batch):
            try require(batch.isEmpty, "a cancelled receive on an empty topic to take no message", seen: "\(batch.count) deliveries")
        case .failure(let error as SwitchyardError) where error.code == .cancelled:
            break
        case .failure(let error):
            throw ContractViolation(expected: "a cancelled timed receive to throw cancelled", seen: ContractViolation.describe(error))
        }

        let producer = try await makeProducer()
        let sent = messages(200, label: "received under cancellation", key: { "key-\($0 % 8)" })
        try await step("sending 200 messages in one batch") { try await producer.send(sent, to: topic) }
        let tally = DeliveryTally(expecting: sent.map(\.id))
        var cancelledCount = 0
        for round in 0..<40 where !tally.isComplete {
            let receive = Task { try await consumer.receive(max: 7, timeout: harness.waitTimeLimit) }
            if round % 2 == 0 { await Task.yield() }
            receive.cancel()
            switch await receive.result {
            case .success(let batch):
                tally.record(batch, from: 0)
                try await step("acking what a cancelled receive returned") { try await consumer.ack(batch) }
            case .failure(let error as SwitchyardError) where error.code == .cancelled:
                cancelledCount += 1
            case .failure(let error):
                throw ContractViolation(expected: "a cancelled timed receive to return or throw cancelled", seen: ContractViolation.describe(error))
            }
        }
        note("Of 40 receives cancelled at once, \(cancelledCount) threw cancelled; the others had already taken messages.")
        try await collect(into: tally, from: [consumer], "messages left after the cancelled receives")
        try require(tally.missing.isEmpty, "every message to arrive despite the cancelled receives", seen: tally.summary)
        try require(tally.unexpected.isEmpty, "no message that was not sent", seen: tally.summary)
        if !tally.duplicates.isEmpty {
            note("\(tally.duplicates.count) messages arrived twice after cancelled receives (at-least-once).")
        }
        return .proved
    }

    /// One `receive(max:timeout:)`, bounded by the harness's wait limit in case the backend ignores its
    /// timeout.
    private func timedReceive(from consumer: Consumer, max: Int, timeout: Duration, _ what: String) async throws -> [Delivery] {
        let limit = harness.waitTimeLimit
        return try await TimeLimit.deadline(
            limit,
            onTimeout: { ContractViolation(expected: "\(what) to return within its timeout", seen: "it was still waiting after \(limit)") }
        ) {
            try await self.step(what) { try await consumer.receive(max: max, timeout: timeout) }
        }
    }
}
