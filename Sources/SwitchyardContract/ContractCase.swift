import Switchyard

/// One promise of the contract (see <doc:ContractCases>), with the scenario that proves it.
///
/// Run one with ``ContractSuite/run(_:)``; ``all`` lists every case in order.
public struct ContractCase: Sendable, Hashable, CustomStringConvertible {
    /// Its number in <doc:ContractCases>, from 1.
    public let number: Int
    /// A stable identifier, safe to use in test names and filters.
    public let name: String
    /// What it proves, in one line.
    public let statement: String
    /// The capabilities whose presence it proves, or whose absence it shows to fail clearly.
    public let capabilities: BackendCapabilities

    let scenario: @Sendable (ContractRun) async throws -> ContractOutcome.Result

    init(
        _ number: Int,
        _ name: String,
        _ statement: String,
        capabilities: BackendCapabilities = [],
        scenario: @escaping @Sendable (ContractRun) async throws -> ContractOutcome.Result
    ) {
        self.number = number
        self.name = name
        self.statement = statement
        self.capabilities = capabilities
        self.scenario = scenario
    }

    public var description: String {
        number < 10 ? "0\(number) \(name)" : "\(number) \(name)"
    }

    public static func == (lhs: ContractCase, rhs: ContractCase) -> Bool {
        lhs.number == rhs.number
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(number)
    }
}

extension ContractCase {
    public static let roundTrip = ContractCase(
        1, "roundTrip",
        "Key, payload, headers and timestamp arrive byte-identical, for empty, binary, Unicode and 1 MiB payloads."
    ) { try await $0.roundTrip() }

    public static let topicIsolation = ContractCase(
        2, "topicIsolation",
        "A consumer receives only its own topic's messages, even from a topic whose name extends another's."
    ) { try await $0.topicIsolation() }

    public static let orderPerKey = ContractCase(
        3, "orderPerKey",
        "Messages with the same key arrive in send order; without orderedPerKey, asking for it is unsupported.",
        capabilities: .orderedPerKey
    ) { try await $0.orderPerKey() }

    public static let everyGroupGetsEveryMessage = ContractCase(
        4, "everyGroupGetsEveryMessage",
        "Two consumer groups on one topic each receive every message exactly once."
    ) { try await $0.everyGroupGetsEveryMessage() }

    public static let competingConsumers = ContractCase(
        5, "competingConsumers",
        "Two consumers in one group share its messages with no loss (one that joins late gets a share of what is sent after it joined); redeliveries from a rebalance are counted (at-least-once); without competingConsumers, the second consumer is unsupported.",
        capabilities: .competingConsumers
    ) { try await $0.competingConsumers() }

    public static let nackRequeueRedelivers = ContractCase(
        6, "nackRequeueRedelivers",
        "A nacked message comes back unchanged with its attempt count raised (exactly, with deliveryAttemptCount); settling a delivery twice, or acking the handle a redelivery replaced, fails with alreadySettled and settles or dead-letters nothing more.",
        capabilities: .deliveryAttemptCount
    ) { try await $0.nackRequeueRedelivers() }

    public static let deadLetterAfterMaxAttempts = ContractCase(
        7, "deadLetterAfterMaxAttempts",
        "A message nacked at its last attempt, nacked without requeue, or dead-lettered lands on <topic>.dlq with its reason; without deadLetter, that is unsupported.",
        capabilities: .deadLetter
    ) { try await $0.deadLetterAfterMaxAttempts() }

    public static let unackedGoesToNextConsumer = ContractCase(
        8, "unackedGoesToNextConsumer",
        "Messages left unacked when a consumer closes go to the group's next consumer; acked ones do not."
    ) { try await $0.unackedGoesToNextConsumer() }

    public static let restartedConsumerResumes = ContractCase(
        9, "restartedConsumerResumes",
        "A consumer in a new client resumes from the group's committed position: nothing lost, nothing acked seen again."
    ) { try await $0.restartedConsumerResumes() }

    public static let replayFromEarliest = ContractCase(
        10, "replayFromEarliest",
        "A new group can start at the earliest message or at a time; without replay, both are unsupported.",
        capabilities: .replay
    ) { try await $0.replayFromEarliest() }

    public static let sendAfterCloseFails = ContractCase(
        11, "sendAfterCloseFails",
        "Sending after a producer closes fails with producerClosed, sends nothing, and closing twice is harmless."
    ) { try await $0.sendAfterCloseFails() }

    public static let receiveAfterCloseFails = ContractCase(
        12, "receiveAfterCloseFails",
        "A waiting receive ends when its consumer closes; receiving afterwards fails with consumerClosed."
    ) { try await $0.receiveAfterCloseFails() }

    public static let cancellationLeavesNothingHalfDone = ContractCase(
        13, "cancellationLeavesNothingHalfDone",
        "A cancelled send is either delivered as sent or fails with cancelled and is never delivered; a cancelled receive takes no message."
    ) { try await $0.cancellationLeavesNothingHalfDone() }

    public static let concurrentSendsThenClose = ContractCase(
        14, "concurrentSendsThenClose",
        "10,000 concurrent sends all succeed, and after the producer closes every one is delivered exactly once."
    ) { try await $0.concurrentSendsThenClose() }

    public static let slowConsumerBackpressure = ContractCase(
        15, "slowConsumerBackpressure",
        "A consumer that does not ack never holds more than its prefetch; a further receive waits until it acks."
    ) { try await $0.slowConsumerBackpressure() }

    public static let batchSendAndReceive = ContractCase(
        16, "batchSendAndReceive",
        "A batch send returns receipts in order and is validated as a whole; batch receive returns several messages, never more than asked."
    ) { try await $0.batchSendAndReceive() }

    public static let missingTopic = ContractCase(
        17, "missingTopic",
        "Sending to a topic that does not exist creates it with autoCreateTopics, and fails with topicNotFound without.",
        capabilities: .autoCreateTopics
    ) { try await $0.missingTopic() }

    public static let oversizedMessage = ContractCase(
        18, "oversizedMessage",
        "A message one byte over maxMessageBytes fails with messageTooLarge, is never delivered, and the next send works."
    ) { try await $0.oversizedMessage() }

    public static let invalidTopicName = ContractCase(
        19, "invalidTopicName",
        "Invalid topic and group names fail with invalidTopicName in send, makeConsumer and ensureTopic."
    ) { try await $0.invalidTopicName() }

    public static let brokerDownAtStart = ContractCase(
        20, "brokerDownAtStart",
        "With the broker down from the start, the first failing operation throws a retriable brokerUnavailable or timeout in bounded time."
    ) { try await $0.brokerDownAtStart() }

    public static let brokerRestartMidStream = ContractCase(
        21, "brokerRestartMidStream",
        "While the broker restarts mid-stream, every message whose send returned is consumed; without persistent, requiring persistence is unsupported.",
        capabilities: .persistent
    ) { try await $0.brokerRestartMidStream() }

    public static let gracefulShutdownDrainsSends = ContractCase(
        22, "gracefulShutdownDrainsSends",
        "Closing a producer with sends in flight lets them finish: every success is delivered and no send fails because of the close."
    ) { try await $0.gracefulShutdownDrainsSends() }

    public static let batchReceiveWithTimeout = ContractCase(
        23, "batchReceiveWithTimeout",
        "receive(max:timeout:) returns an empty batch when the timeout passes with nothing to deliver, and otherwise at most max deliveries, which one batch ack settles."
    ) { try await $0.batchReceiveWithTimeout() }

    public static let batchAckInAnyOrder = ContractCase(
        24, "batchAckInAnyOrder",
        "Deliveries from several receives and partitions, acked in shuffled batches, are all settled: a restarted consumer of the group sees none of them again."
    ) { try await $0.batchAckInAnyOrder() }

    public static let partialBatchAckThenCrash = ContractCase(
        25, "partialBatchAckThenCrash",
        "When a consumer acks part of what it received in one batch and then goes away, the group's next consumer gets exactly the unacked rest."
    ) { try await $0.partialBatchAckThenCrash() }

    public static let settleTwiceOrTooLate = ContractCase(
        26, "settleTwiceOrTooLate",
        "A batch ack that names a settled delivery, one delivery twice, or another consumer's delivery fails with alreadySettled and settles none of them; after close, settling fails with consumerClosed and the delivery goes to the next consumer."
    ) { try await $0.settleTwiceOrTooLate() }

    public static let cancelledBatchReceiveLosesNothing = ContractCase(
        27, "cancelledBatchReceiveLosesNothing",
        "A timed receive cancelled while it waits throws cancelled and takes no message; of messages received under repeated cancellation, none is lost."
    ) { try await $0.cancelledBatchReceiveLosesNothing() }

    /// Every case, in order.
    public static let all: [ContractCase] = [
        .roundTrip, .topicIsolation, .orderPerKey, .everyGroupGetsEveryMessage, .competingConsumers,
        .nackRequeueRedelivers, .deadLetterAfterMaxAttempts, .unackedGoesToNextConsumer,
        .restartedConsumerResumes, .replayFromEarliest, .sendAfterCloseFails, .receiveAfterCloseFails,
        .cancellationLeavesNothingHalfDone, .concurrentSendsThenClose, .slowConsumerBackpressure,
        .batchSendAndReceive, .missingTopic, .oversizedMessage, .invalidTopicName, .brokerDownAtStart,
        .brokerRestartMidStream, .gracefulShutdownDrainsSends, .batchReceiveWithTimeout, .batchAckInAnyOrder,
        .partialBatchAckThenCrash, .settleTwiceOrTooLate, .cancelledBatchReceiveLosesNothing,
    ]

    /// The cases that exercise at least one capability flag.
    public static var capabilityCases: [ContractCase] {
        all.filter { !$0.capabilities.isEmpty }
    }
}
