import Switchyard

/// Cases 11, 12, 13 and 22: closing and cancelling leave nothing half-done.
extension ContractRun {
    func sendAfterCloseFails() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("closed-producer")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()
        let before = Message(key: "k", payload: "sent before close")
        try await sendAll([before], to: topic, with: producer)
        try await step("closing the producer") { try await producer.close() }
        try await step("closing the producer a second time") { try await producer.close() }

        let after = Message(key: "k", payload: "sent after close")
        try await expectError([.producerClosed], "a send after close") { try await producer.send(after, to: topic) }
        try await expectError([.producerClosed], "a batch send after close") { try await producer.send([after], to: topic) }

        try await collect([before.id], from: [consumer], "the message sent before close").requireExactlyOnce("the message sent before close")
        try await expectNothingMore(from: consumer, "from sends after close")
        return .proved
    }

    func receiveAfterCloseFails() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("closed-consumer")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let pause = harness.quietPeriod
        let waiting: Result<[Delivery], any Error> = try await TimeLimit.deadline(
            harness.waitTimeLimit,
            onTimeout: { ContractViolation(expected: "a receive waiting on an empty topic to end when its consumer closes", seen: "it kept waiting") }
        ) {
            try await withThrowingTaskGroup(of: Result<[Delivery], any Error>?.self) { group in
                group.addTask {
                    do { return .success(try await consumer.receive(maxMessages: 10)) } catch { return .failure(error) }
                }
                group.addTask {
                    try await Task.sleep(for: pause)
                    try await consumer.close()
                    return nil
                }
                var ended: Result<[Delivery], any Error> = .success([])
                for try await result in group {
                    if let result { ended = result }
                }
                return ended
            }
        }
        switch waiting {
        case .success(let deliveries):
            try require(deliveries.isEmpty, "a receive ended by close to return no messages", seen: "\(deliveries.count) messages")
        case .failure(let error as SwitchyardError) where error.code == .consumerClosed:
            note("The waiting receive threw consumerClosed, as if close came before it began.")
        case .failure(let error):
            throw ContractViolation(
                expected: "a receive ended by close to return no messages",
                seen: ContractViolation.describe(error)
            )
        }

        try await expectError([.consumerClosed], "a receive after close") { _ = try await consumer.receive(maxMessages: 10) }
        try await expectError([.consumerClosed], "iterating a closed consumer") {
            for try await delivery in consumer {
                throw ContractViolation(expected: "no deliveries from a closed consumer", seen: "message \(delivery.message.id)")
            }
        }
        try await step("closing the consumer a second time") { try await consumer.close() }
        return .proved
    }

    func cancellationLeavesNothingHalfDone() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("cancel", partitions: 2)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()

        let idle = try await TimeLimit.cancelling("a receive waiting on an empty topic", after: harness.quietPeriod, grace: harness.cancellationGrace) {
            try await consumer.receive(maxMessages: 10)
        }
        try requireCancelled(idle, "a receive cancelled while waiting on an empty topic")

        let doomed = Message(key: "doomed", payload: "sent from a task already cancelled")
        let doomedError = await withTaskGroup(of: (any Error)?.self) { group in
            group.cancelAll()
            group.addTask {
                do {
                    try await producer.send(doomed, to: topic)
                    return nil
                } catch {
                    return error
                }
            }
            return await group.next() ?? nil
        }
        switch doomedError {
        case let error as SwitchyardError where error.code == .cancelled:
            break
        case let error?:
            throw ContractViolation(expected: "a send from a cancelled task to fail with cancelled", seen: ContractViolation.describe(error))
        case nil:
            throw ContractViolation(expected: "a send from a cancelled task to fail with cancelled", seen: "it succeeded")
        }

        let attempts = messages(50, label: "cancelled send", key: { "key-\($0 % 4)" })
        let outcomes = await withTaskGroup(of: (Message, (any Error)?).self) { group in
            for message in attempts {
                group.addTask {
                    do {
                        try await producer.send(message, to: topic)
                        return (message, nil)
                    } catch {
                        return (message, error)
                    }
                }
            }
            var outcomes: [(Message, (any Error)?)] = []
            if let first = await group.next() { outcomes.append(first) }
            group.cancelAll()
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let (sent, cancelled) = try Self.sort(outcomes, refusedWith: .cancelled, "a cancelled send to succeed or fail with cancelled")
        note("Of 50 sends cancelled in flight, \(sent.count) completed and \(cancelled.count) failed with cancelled.")

        let late = messages(20, label: "raced receive", key: { "key-\($0 % 4)" })
        async let sending: Void = sendAll(late, to: topic, with: producer)
        let raced = try await TimeLimit.cancelling("a receive racing arriving messages", after: .milliseconds(1), grace: harness.cancellationGrace) {
            try await consumer.receive(maxMessages: 5)
        }
        try await sending
        var early: [Delivery] = []
        if case .success(let deliveries) = raced {
            early = deliveries
        } else {
            try requireCancelled(raced, "a receive cancelled while messages arrive")
        }
        for delivery in early {
            try await step("acking \(delivery.message.id)") { try await delivery.ack() }
        }

        let earlyIDs = Set(early.map(\.message.id))
        let expected = (sent + late).map(\.id).filter { !earlyIDs.contains($0) }
        let tally = try await collect(expected, from: [consumer], "messages after the cancellations")
        try tally.requireExactlyOnce("completed sends, each as sent, and no cancelled one,")
        let byID = Dictionary(uniqueKeysWithValues: (sent + late).map { ($0.id, $0) })
        for delivery in tally.firstArrivals {
            guard let original = byID[delivery.message.id] else { continue }
            let differences = MessageDifferences.between(sent: original, received: delivery.message)
            try require(differences.isEmpty, "\(original.id) to arrive exactly as sent", seen: differences.joined(separator: "; "))
        }
        try await expectNothingMore(from: consumer, "from sends that failed with cancelled")
        return .proved
    }

    /// Splits the outcomes of sends into the messages sent and the ids of those refused with `code`;
    /// any other failure fails the case with `expected`.
    private static func sort(
        _ outcomes: [(Message, (any Error)?)],
        refusedWith code: SwitchyardError.Code,
        _ expected: String
    ) throws -> (sent: [Message], refused: [String]) {
        var sent: [Message] = []
        var refused: [String] = []
        for (message, error) in outcomes {
            switch error {
            case nil:
                sent.append(message)
            case let error as SwitchyardError where error.code == code:
                refused.append(message.id)
            case let error?:
                throw ContractViolation(expected: expected, seen: "\(message.id) failed with \(ContractViolation.describe(error))")
            }
        }
        return (sent, refused)
    }

    private func requireCancelled<T>(_ result: Result<T, any Error>, _ what: String) throws {
        switch result {
        case .failure(let error as SwitchyardError) where error.code == .cancelled:
            return
        case .failure(let error):
            throw ContractViolation(expected: "\(what) to throw SwitchyardError cancelled", seen: ContractViolation.describe(error))
        case .success(let value):
            throw ContractViolation(expected: "\(what) to throw SwitchyardError cancelled", seen: "it returned \(value)")
        }
    }

    func gracefulShutdownDrainsSends() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("drain", partitions: 2)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()
        let attempts = messages(500, label: "in flight at close", key: { "key-\($0 % 8)" })
        let (firstCompletion, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

        let outcomes = try await withThrowingTaskGroup(of: (Message, (any Error)?)?.self) { group in
            for message in attempts {
                group.addTask {
                    do {
                        try await producer.send(message, to: topic)
                        signal.yield()
                        return (message, nil)
                    } catch {
                        signal.yield()
                        return (message, error)
                    }
                }
            }
            group.addTask {
                for await _ in firstCompletion { break }
                try await producer.close()
                return nil
            }
            var outcomes: [(Message, (any Error)?)] = []
            for try await outcome in group {
                if let outcome { outcomes.append(outcome) }
            }
            return outcomes
        }
        signal.finish()

        let (sent, refused) = try Self.sort(
            outcomes,
            refusedWith: .producerClosed,
            "a send in flight at close to complete, or one begun after close to fail with producerClosed"
        )
        note("Closing with 500 sends under way: \(sent.count) completed and \(refused.count) were refused as begun after close.")
        try await collect(sent.map(\.id), from: [consumer], "messages whose send completed around close")
            .requireExactlyOnce("messages whose send completed around close")
        try await expectNothingMore(from: consumer, "from sends refused after close")
        return .proved
    }
}
