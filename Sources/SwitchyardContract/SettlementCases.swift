import Switchyard

/// Cases 6 and 7: nack, redelivery, attempt counts and the dead-letter topic.
extension ContractRun {
    func nackRequeueRedelivers() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("requeue")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart, maxDeliveryAttempts: 5))
        let producer = try await makeProducer()
        let original = Message(key: "requeued", payload: "nacked twice", headers: [MessageHeader(name: "kept", value: "yes")])
        try await sendAll([original], to: topic, with: producer)

        var delivery = try await receiveOne(original, from: consumer, "the message's first delivery")
        try require(delivery.deliveryAttempt == 1, "the first delivery to be attempt 1", seen: "attempt \(delivery.deliveryAttempt)")
        for attempt in 2...3 {
            let nacked = delivery
            try await step("nack(requeue: true) of attempt \(attempt - 1)") {
                try await nacked.nack(requeue: true, reason: "contract: try again")
            }
            delivery = try await receiveOne(original, from: consumer, "redelivery \(attempt) after a nack")
            // The next step nacks or acks the redelivery, so it fails if this stale ack settled it.
            try await expectError([.alreadySettled], "acking the nacked delivery of attempt \(attempt - 1) after its redelivery") {
                try await nacked.ack()
            }
            if has(.deliveryAttemptCount) {
                try require(
                    delivery.deliveryAttempt == attempt,
                    "redelivery \(attempt) to report attempt \(attempt)",
                    seen: "attempt \(delivery.deliveryAttempt)"
                )
            } else {
                try require(
                    delivery.deliveryAttempt >= 2,
                    "a redelivery to report attempt 2 or more, even without deliveryAttemptCount",
                    seen: "attempt \(delivery.deliveryAttempt)"
                )
            }
            let differences = MessageDifferences.between(sent: original, received: delivery.message)
            try require(differences.isEmpty, "a redelivered message to be unchanged", seen: differences.joined(separator: "; "))
        }
        let settled = delivery
        try await step("acking the redelivered message") { try await settled.ack() }
        try await expectError([.alreadySettled], "acking a delivery a second time") { try await settled.ack() }
        try await expectNothingMore(from: consumer, "after the redelivered message was acked")
        if has(.deadLetter) {
            try await deadLetterTwice(topic: topic, consumer: consumer, producer: producer)
        }
        checked(.deliveryAttemptCount)
        return .proved
    }

    /// Dead-letters one delivery twice: the second fails with alreadySettled and writes no second copy.
    private func deadLetterTwice(topic: String, consumer: Consumer, producer: Producer) async throws {
        let deadLetterTopic = TopicName.deadLetter(of: topic)
        try await step("ensureTopic(\(deadLetterTopic))") { try await backend.ensureTopic(TopicSpec(name: deadLetterTopic)) }
        let deadLetters = try await makeConsumer(deadLetterTopic, ConsumerOptions(group: name("dlq"), startPosition: freshStart))
        let twice = Message(key: "twice", payload: "dead-lettered twice")
        try await sendAll([twice], to: topic, with: producer)
        let delivery = try await receiveOne(twice, from: consumer, "a message to dead-letter twice")
        try await step("deadLetter(reason:)") { try await delivery.deadLetter(reason: "contract: first") }
        try await expectError([.alreadySettled], "dead-lettering the same delivery a second time") {
            try await delivery.deadLetter(reason: "contract: second")
        }
        let landed = try await collect([twice.id], from: [deadLetters], "the message dead-lettered twice, on \(deadLetterTopic)")
        try landed.requireExactlyOnce("copies of the message dead-lettered twice, on \(deadLetterTopic),")
        let reason = landed.firstArrivals[0].message.header(DeadLetterHeader.reason).map { String(decoding: $0, as: UTF8.self) }
        try require(reason == "contract: first", "the copy on \(deadLetterTopic) to give the first reason", seen: reason ?? "no reason header")
        try await expectNothingMore(from: [consumer, deadLetters], "on \(topic) or \(deadLetterTopic) after the second dead-lettering")
    }

    func deadLetterAfterMaxAttempts() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("dead-letter")
        let deadLetterTopic = TopicName.deadLetter(of: topic)
        let maxAttempts = has(.deliveryAttemptCount) ? 3 : 2
        let consumer = try await makeConsumer(
            topic,
            ConsumerOptions(group: name("g"), startPosition: freshStart, maxDeliveryAttempts: maxAttempts)
        )
        let producer = try await makeProducer()

        guard has(.deadLetter) else {
            let message = Message(key: "unsupported", payload: "cannot be dead-lettered")
            try await sendAll([message], to: topic, with: producer)
            let delivery = try await receiveOne(message, from: consumer, "a message to dead-letter")
            try await expectError([.unsupported], "deadLetter(reason:) on a backend without deadLetter") {
                try await delivery.deadLetter(reason: "contract: unsupported")
            }
            try await expectError([.unsupported], "nack(requeue: false) on a backend without deadLetter") {
                try await delivery.nack(requeue: false, reason: "contract: unsupported")
            }
            try await step("acking the message that could not be dead-lettered") { try await delivery.ack() }
            checked(.deadLetter)
            return .provedUnsupported
        }

        try await step("ensureTopic(\(deadLetterTopic))") { try await backend.ensureTopic(TopicSpec(name: deadLetterTopic)) }
        let deadLetters = try await makeConsumer(deadLetterTopic, ConsumerOptions(group: name("dlq"), startPosition: freshStart))
        let exhausted = Message(key: "exhausted", payload: "nacked until it gives up", headers: [MessageHeader(name: "kept", value: "1")])
        let rejected = Message(key: "rejected", payload: "nacked without requeue", headers: [MessageHeader(name: "kept", value: "2")])
        let direct = Message(key: "direct", payload: "dead-lettered at once", headers: [MessageHeader(name: "kept", value: "3")])
        try await sendAll([exhausted], to: topic, with: producer)

        var reasons: [String: (reason: String, attempts: Int?)] = [:]
        for attempt in 1...maxAttempts {
            let delivery = try await receiveOne(exhausted, from: consumer, "delivery \(attempt) of a message nacked every time")
            try await step("nack(requeue: true) of attempt \(attempt)") {
                try await delivery.nack(requeue: true, reason: "contract: exhausted")
            }
        }
        reasons[exhausted.id] = ("contract: exhausted", has(.deliveryAttemptCount) ? maxAttempts : nil)

        try await sendAll([rejected, direct], to: topic, with: producer)

        let once = try await collect([rejected.id, direct.id], from: [consumer], "messages to reject and dead-letter", settle: .keep)
        for delivery in once.firstArrivals {
            if delivery.message.id == rejected.id {
                try await step("nack(requeue: false)") { try await delivery.nack(requeue: false, reason: "contract: rejected") }
                reasons[rejected.id] = ("contract: rejected", 1)
            } else {
                try await step("deadLetter(reason:)") { try await delivery.deadLetter(reason: "contract: direct") }
                reasons[direct.id] = ("contract: direct", 1)
            }
        }

        let originals = [exhausted, rejected, direct]
        let landed = try await collect(originals.map(\.id), from: [deadLetters], "messages on \(deadLetterTopic)")
        try landed.requireExactlyOnce("dead-lettered messages on \(deadLetterTopic)")
        for delivery in landed.firstArrivals {
            guard let original = originals.first(where: { $0.id == delivery.message.id }), let why = reasons[original.id] else { continue }
            try checkDeadLetter(delivery.message, original: original, topic: topic, reason: why.reason, attempts: why.attempts)
        }
        try await expectNothingMore(from: [consumer, deadLetters], "on \(topic) or \(deadLetterTopic) once its messages were dead-lettered")
        checked(.deadLetter)
        return .proved
    }

    private func checkDeadLetter(_ message: Message, original: Message, topic: String, reason: String, attempts: Int?) throws {
        var kept = message
        kept.headers = Array(message.headers.prefix(original.headers.count))
        let differences = MessageDifferences.between(sent: original, received: kept)
        try require(
            differences.isEmpty,
            "dead-lettered \(original.id) to keep its id, key, payload and headers, before the dead-letter headers",
            seen: differences.joined(separator: "; ")
        )
        let header = { (name: String) in message.header(name).map { String(decoding: $0, as: UTF8.self) } }
        try require(
            header(DeadLetterHeader.originalTopic) == topic,
            "\(DeadLetterHeader.originalTopic) \(topic) on \(original.id)",
            seen: header(DeadLetterHeader.originalTopic) ?? "no such header"
        )
        try require(
            header(DeadLetterHeader.reason) == reason,
            "\(DeadLetterHeader.reason) '\(reason)' on \(original.id)",
            seen: header(DeadLetterHeader.reason) ?? "no such header"
        )
        let counted = header(DeadLetterHeader.attempts).flatMap { Int($0) }
        if let attempts {
            try require(counted == attempts, "\(DeadLetterHeader.attempts) \(attempts) on \(original.id)", seen: header(DeadLetterHeader.attempts) ?? "no such header")
        } else {
            try require(
                (counted ?? 0) >= 2,
                "\(DeadLetterHeader.attempts) of at least 2 on \(original.id), which was redelivered",
                seen: header(DeadLetterHeader.attempts) ?? "no such header"
            )
        }
    }

    /// Receives until `message` arrives and returns that delivery unsettled; fails on anything else.
    func receiveOne(_ message: Message, from consumer: Consumer, _ what: String) async throws -> Delivery {
        let tally = try await collect([message.id], from: [consumer], what, maxMessages: 1, settle: .keep)
        try tally.requireExactlyOnce(what)
        return tally.firstArrivals[0]
    }
}
