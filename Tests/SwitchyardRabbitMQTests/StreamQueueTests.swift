import Logging
import Switchyard
import SwitchyardContract
import SwitchyardRabbitMQ
import SwitchyardTestSupport
import Testing

extension BrokerTests {
    /// `rabbitmq.queueType: stream`: one stream per topic, replay through `x-stream-offset`.
    @Suite(.serialized)
    struct StreamQueueTests {
        private static let harness = ContractHarness(
            namePrefix: "rabbitmq-stream",
            caseTimeLimit: .seconds(120),
            waitTimeLimit: .seconds(45),
            quietPeriod: .milliseconds(500),
            makeBackend: { try await TestBroker.backend(queueType: .stream) },
            makeUnreachableBackend: {
                let endpoint = try RabbitMQEndpoint(url: "amqp://guest:guest@127.0.0.1:1/")
                return try RabbitMQBackend(configuration: .init(endpoint: endpoint, queueType: .stream))
            },
            restartBroker: { try await TestBroker.restart() }
        )

        /// The contract cases a stream can keep. Cases 6 and 7 nack with requeue, which a stream
        /// cannot do (see ``requeueIsUnsupportedAndLeavesTheDeliveryToSettle()``); case 5 proves
        /// that a second consumer in a group is unsupported; cases 8, 9, 25 and 26 need a group's
        /// committed position (the next consumer gets what the last one left unsettled), which AMQP
        /// 0-9-1 does not keep for streams.
        static let keptCases: [ContractCase] = ContractCase.all.filter { ![6, 7, 8, 9, 25, 26].contains($0.number) }

        @Test(arguments: keptCases)
        func streamQueuesKeepTheContractCasesTheyCan(_ contractCase: ContractCase) async throws {
            let outcome = try await ContractSuite(harness: Self.harness).run(contractCase)
            #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result) \(outcome.notes)")
            if contractCase == .replayFromEarliest { #expect(outcome.result == .proved) }
            if contractCase == .competingConsumers { #expect(outcome.result == .provedUnsupported) }
        }

        @Test func requeueIsUnsupportedAndLeavesTheDeliveryToSettle() async throws {
            let backend = try await TestBroker.backend(queueType: .stream)
            let topic = "stream-requeue-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: .earliest))
            let producer = try await backend.makeProducer()
            let sent = Message(key: "k", payload: "no second delivery")
            try await producer.send(sent, to: topic)
            let delivery = try #require(try await Self.receive(1, from: consumer).first)
            #expect(delivery.message.id == sent.id)
            #expect(delivery.position.offset != nil)
            do {
                try await delivery.nack(requeue: true)
                Issue.record("nack(requeue: true) on a stream succeeded")
            } catch {
                #expect(error.code == .unsupported)
                #expect(error.message.contains("stream"))
            }
            try await delivery.ack()
            try await consumer.close()
            try await producer.close()
        }

        @Test func deadLetteringKeepsTheMessageOnTheDeadLetterStream() async throws {
            let backend = try await TestBroker.backend(queueType: .stream)
            let topic = "stream-dlq-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: .earliest, maxDeliveryAttempts: 1))
            let producer = try await backend.makeProducer()
            let sent = [Message(key: "a", payload: "dead-lettered"), Message(key: "b", payload: "nacked at its last attempt")]
            try await producer.send(sent, to: topic)
            let received = try await Self.receive(2, from: consumer)
            try await received[0].deadLetter(reason: "test: direct")
            try await received[1].nack(requeue: true, reason: "test: last attempt")
            // No group was ever bound to the dead-letter topic: its stream kept the messages anyway.
            let deadLetters = try await backend.makeConsumer(topic: TopicName.deadLetter(of: topic), options: ConsumerOptions(group: "dlq", startPosition: .earliest))
            let dead = try await Self.receive(2, from: deadLetters)
            #expect(Set(dead.map(\.message.id)) == Set(sent.map(\.id)))
            let reasons = dead.compactMap { $0.message.headers.first(where: { $0.name == DeadLetterHeader.reason }).map { String(decoding: $0.value, as: UTF8.self) } }
            #expect(Set(reasons) == ["test: direct", "test: last attempt"])
            for delivery in dead { try await delivery.ack() }
            try await deadLetters.close()
            try await consumer.close()
            try await producer.close()
        }

        @Test func aRestartedConsumerAtCommittedStartsAfterTheNewestMessageAndEarliestStillReplaysEverything() async throws {
            let backend = try await TestBroker.backend(queueType: .stream)
            let topic = "stream-committed-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let producer = try await backend.makeProducer()
            let before = Message(key: "k", payload: "sent while no consumer ran")
            try await producer.send(before, to: topic)
            let committed = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            let after = Message(key: "k", payload: "sent after the consumer joined")
            try await producer.send(after, to: topic)
            let fromNext = try await Self.receive(1, from: committed)
            #expect(fromNext.map(\.message.id) == [after.id])
            try await fromNext[0].ack()
            try await committed.close()
            let replay = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: .earliest))
            let everything = try await Self.receive(2, from: replay)
            #expect(everything.map(\.message.id) == [before.id, after.id])
            for delivery in everything { try await delivery.ack() }
            try await replay.close()
            try await producer.close()
        }

        @Test(arguments: [RabbitMQBackend.QueueType.quorum, .classic])
        func replayOnQueuesWithoutHistoryIsAClearError(_ queueType: RabbitMQBackend.QueueType) async throws {
            let backend = try await TestBroker.backend(queueType: queueType)
            let topic = "no-replay-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            for start in [StartPosition.earliest, .timestamp(microseconds: 0)] {
                do {
                    let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", startPosition: start))
                    try await consumer.close()
                    Issue.record("Starting at \(start) on \(queueType) queues succeeded")
                } catch {
                    #expect(error.code == .unsupported)
                    #expect(error.message.contains("replay"))
                }
            }
        }

        /// The driver level, below the core's capability check, names the queue type and the way out.
        @Test(arguments: [RabbitMQBackend.QueueType.quorum, .classic])
        func theDriverSaysWhichQueueTypeLacksReplayAndWhatToUseInstead(_ queueType: RabbitMQBackend.QueueType) async throws {
            let backend = try await TestBroker.backend(queueType: queueType)
            do {
                let driver = try await backend.makeConsumerDriver(topic: "never-made", options: ConsumerOptions(group: "g", startPosition: .earliest), logger: .init(label: "test"))
                try await driver.close()
                Issue.record("Starting at earliest on \(queueType) queues succeeded")
            } catch {
                #expect(error.code == .unsupported)
                #expect(error.message.contains("\(queueType) queues lack"))
                #expect(error.message.contains("rabbitmq.queueType to stream"))
            }
        }

        /// Receives exactly `count` deliveries, failing after 30 s.
        private static func receive(_ count: Int, from consumer: Consumer) async throws -> [Delivery] {
            try await within(.seconds(30), "the arrival of \(count) deliveries") {
                var received: [Delivery] = []
                while received.count < count {
                    received += try await consumer.receive(maxMessages: count - received.count)
                }
                return received
            }
        }
    }
}
