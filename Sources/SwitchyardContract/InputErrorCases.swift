import Switchyard

/// Cases 17, 18 and 19: a missing topic, an oversized message and a bad name each fail clearly.
extension ContractRun {
    func missingTopic() async throws -> ContractOutcome.Result {
        let topic = name("never-created")
        let producer = try await makeProducer()
        let first = Message(key: "k", payload: "to a topic that does not exist yet")
        guard has(.autoCreateTopics) else {
            try await expectError([.topicNotFound], "a send to a missing topic on a backend without autoCreateTopics") {
                try await producer.send(first, to: topic)
            }
            try await step("ensureTopic(\(topic)) after topicNotFound") { try await backend.ensureTopic(TopicSpec(name: topic)) }
            let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
            let second = Message(key: "k", payload: "after ensureTopic")
            try await sendAll([second], to: topic, with: producer)
            try await collect([second.id], from: [consumer], "the message sent once the topic exists")
                .requireExactlyOnce("the message sent once the topic exists, and not the refused one,")
            checked(.autoCreateTopics)
            return .provedUnsupported
        }
        try await sendAll([first], to: topic, with: producer)
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let second = Message(key: "k", payload: "to the auto-created topic")
        try await sendAll([second], to: topic, with: producer)
        let expected = has(.replay) ? [first.id, second.id] : [second.id]
        try await collect(expected, from: [consumer], "messages on the auto-created topic")
            .requireExactlyOnce("messages on the auto-created topic")
        checked(.autoCreateTopics)
        return .proved
    }

    func oversizedMessage() async throws -> ContractOutcome.Result {
        let topic = try await makeTopic("oversized")
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let producer = try await makeProducer()
        let limits = backend.limits
        let oversized = Message(payload: [UInt8](repeating: 0x5A, count: limits.maxMessageBytes + 1))
        let error = try await expectError([.messageTooLarge], "a send of \(limits.maxMessageBytes + 1) bytes, one over maxMessageBytes") {
            try await producer.send(oversized, to: topic)
        }
        try require(!error.isRetriable, "messageTooLarge not to be retriable", seen: "\(error)")
        try require(
            error.message.contains(limits.maxMessageBytesKey),
            "the error to name the setting \(limits.maxMessageBytesKey)",
            seen: error.message
        )
        let next = Message(key: "k", payload: "after an oversized one")
        try await sendAll([next], to: topic, with: producer)
        try await collect([next.id], from: [consumer], "the message sent after the oversized one")
            .requireExactlyOnce("the message sent after the oversized one, and not the oversized one,")
        try await expectNothingMore(from: consumer, "from the oversized send")
        return .proved
    }

    func invalidTopicName() async throws -> ContractOutcome.Result {
        let producer = try await makeProducer()
        let invalid = ["", "has space", "slash/name", "colon:name", ".", "..", "ünïcode", String(repeating: "x", count: TopicName.maxLength + 1)]
        for bad in invalid {
            let shown = bad.count > 20 ? "a \(bad.count)-character name" : "'\(bad)'"
            try await expectError([.invalidTopicName], "a send to topic \(shown)") {
                try await producer.send(Message(key: "k", payload: "x"), to: bad)
            }
            try await expectError([.invalidTopicName], "makeConsumer on topic \(shown)") {
                _ = try await openConsumer(bad, ConsumerOptions(group: name("g")))
            }
            try await expectError([.invalidTopicName], "ensureTopic with name \(shown)") {
                try await backend.ensureTopic(TopicSpec(name: bad))
            }
        }
        let topic = try await makeTopic("valid")
        try await expectError([.invalidTopicName], "makeConsumer with group 'bad group'") {
            _ = try await openConsumer(topic, ConsumerOptions(group: "bad group"))
        }
        let consumer = try await makeConsumer(topic, ConsumerOptions(group: name("g"), startPosition: freshStart))
        let fine = Message(key: "k", payload: "to a valid topic after invalid ones")
        try await sendAll([fine], to: topic, with: producer)
        try await collect([fine.id], from: [consumer], "the message sent to a valid name").requireExactlyOnce("the message sent to a valid name")
        return .proved
    }
}
