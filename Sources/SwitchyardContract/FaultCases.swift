import Switchyard

/// Cases 20 and 21: a broker that is down, and one that restarts under load.
extension ContractRun {
    func brokerDownAtStart() async throws -> ContractOutcome.Result {
        guard let makeUnreachable = harness.makeUnreachableBackend else {
            return .skipped(reason: "the harness has no makeUnreachableBackend")
        }
        let topic = name("unreachable")
        let limit = harness.waitTimeLimit
        let started = ContinuousClock.now
        let failure: SwitchyardError = try await TimeLimit.deadline(
            limit,
            onTimeout: { ContractViolation(expected: "an operation on a broker that is down to fail within \(limit)", seen: "it was still waiting") }
        ) {
            do {
                let down = try await makeUnreachable()
                self.track(down)
                try await down.ensureTopic(TopicSpec(name: topic))
                let producer = try await down.makeProducer(options: ProducerOptions(sendTimeout: limit / 2))
                self.track(producer)
                try await producer.send(Message(key: "k", payload: "to a broker that is down"), to: topic)
            } catch let error as SwitchyardError {
                return error
            } catch {
                throw ContractViolation(
                    expected: "a SwitchyardError from an operation on a broker that is down",
                    seen: ContractViolation.describe(error)
                )
            }
            throw ContractViolation(
                expected: "an operation on a broker that is down to fail",
                seen: "ensureTopic, makeProducer and send all succeeded"
            )
        }
        try require(
            failure.isRetriable && (failure.code == .brokerUnavailable || failure.code == .timeout),
            "a retriable brokerUnavailable or timeout",
            seen: "\(failure)"
        )
        note("The first failure came after \(ContinuousClock.now - started): \(failure.code).")
        return .proved
    }

    func brokerRestartMidStream() async throws -> ContractOutcome.Result {
        let topic = name("restart")
        if has(.persistent) {
            try await step("ensureTopic(\(topic)) requiring persistence") {
                try await backend.ensureTopic(TopicSpec(name: topic, partitions: 2, requiresPersistence: true))
            }
        } else {
            try await expectError([.unsupported], "ensureTopic requiring persistence on a backend without persistent") {
                try await backend.ensureTopic(TopicSpec(name: name("persistent"), requiresPersistence: true))
            }
            try await step("ensureTopic(\(topic))") { try await backend.ensureTopic(TopicSpec(name: topic, partitions: 2)) }
        }
        guard let restartBroker = harness.restartBroker else {
            return .skipped(reason: "the harness has no restartBroker hook")
        }

        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer(options: ProducerOptions(sendTimeout: harness.waitTimeLimit / 4))
        let sent = messages(200, label: "across a restart", key: { "key-\($0 % 8)" })
        let restartAfter = 50
        let (halfway, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

        let (retries, collected) = try await withThrowingTaskGroup(of: RestartPart.self) { group in
            group.addTask {
                for await _ in halfway { break }
                try await restartBroker()
                return .restarted
            }
            group.addTask {
                defer { signal.finish() }
                var retries = 0
                for (index, message) in sent.enumerated() {
                    retries += try await self.sendRetrying(message, to: topic, with: producer)
                    if index + 1 == restartAfter { signal.yield() }
                    // Paced from here on, so sends keep coming while the broker is down, however fast it is.
                    if index + 1 >= restartAfter { try await Task.sleep(for: .milliseconds(1)) }
                }
                return .produced(retries: retries)
            }
            group.addTask {
                .collected(try await self.collect(
                    sent.map(\.id), from: [consumer], "messages sent across a broker restart",
                    settle: .ackTolerating([.brokerUnavailable, .timeout, .alreadySettled]),
                    tolerateOutage: true
                ))
            }
            var retries = 0
            var collected: DeliveryTally?
            for try await part in group {
                switch part {
                case .restarted: break
                case .produced(let count): retries = count
                case .collected(let tally): collected = tally
                }
            }
            return (retries, collected)
        }
        guard let tally = collected else {
            throw ContractViolation(expected: "the consuming task to report what it received", seen: "it reported nothing")
        }

        try require(tally.missing.isEmpty && tally.unexpected.isEmpty, "every message whose send returned, across the restart", seen: tally.summary)
        let duplicates = tally.duplicates
        note(
            "Across the restart: \(retries) send retries, "
                + "\(duplicates.count) messages delivered more than once, \(tally.tolerated.count) tolerated receive or ack failures."
        )
        checked(.persistent)
        return .proved
    }

    /// Sends `message`, retrying retriable failures until it succeeds, and returns how many retries
    /// that took; any other failure fails the case.
    private func sendRetrying(_ message: Message, to topic: String, with producer: Producer) async throws -> Int {
        var retries = 0
        while true {
            do {
                try await producer.send(message, to: topic)
                return retries
            } catch where error.isRetriable {
                retries += 1
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                throw ContractViolation(
                    expected: "sends during a broker restart to succeed or fail retriably",
                    seen: "\(message.id) failed with \(error)"
                )
            }
        }
    }
}

/// What each concurrent part of case 21 reports.
private enum RestartPart: Sendable {
    case restarted
    case produced(retries: Int)
    case collected(DeliveryTally)
}
