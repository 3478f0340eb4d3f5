import Switchyard
import Synchronization

/// One member of a group on one in-memory topic.
final class InMemoryConsumerDriver: ConsumerDriver {
    private let backend: InMemoryBackend
    private let topic: TopicLog
    private let member: MemberID
    private let group: UInt64
    private let closed = Atomic<Bool>(false)

    init(backend: InMemoryBackend, topic: TopicLog, member: MemberID, group: UInt64) {
        self.backend = backend
        self.topic = topic
        self.member = member
        self.group = group
    }

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        try await receive(maxMessages: maxMessages, until: nil)
    }

    /// Waits until `timeout` passes at most, without a task racing the receive: a wait that is still
    /// registered when the deadline comes is taken back and ended by a timer task, started only when the
    /// receive has to wait. Cancellation takes nothing, as in ``receive(maxMessages:)``.
    func receive(maxMessages: Int, timeout: Duration) async throws -> [ReceivedMessage] {
        try await receive(maxMessages: maxMessages, until: .now + timeout)
    }

    /// Takes up to `maxMessages` deliveries, waiting for some until `deadline` (with no deadline, for as
    /// long as it takes). Returns an empty array when the deadline passes or the member leaves the group.
    private func receive(maxMessages: Int, until deadline: ContinuousClock.Instant?) async throws -> [ReceivedMessage] {
        if closed.load(ordering: .acquiring) {
            throw SwitchyardError(.consumerClosed, "The consumer is closed. Create a new consumer to receive more messages.")
        }
        while true {
            try Task.checkCancellation()
            if let deadline, deadline <= .now {
                return []
            }
            var result = FetchResult.waiting
            var timer: Task<Void, Never>?
            let waitID = backend.makeID()
            await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    result = topic.fetch(
                        member: member,
                        group: group,
                        maxMessages: maxMessages,
                        isAvailable: { backend.isAvailable },
                        waitID: waitID,
                        waiter: waiter
                    )
                    if case .waiting = result {
                        if let deadline {
                            timer = Task { [topic, group] in
                                // Cancelled once the wait has ended some other way.
                                guard (try? await Task.sleep(until: deadline)) != nil else { return }
                                // Whoever takes the wait back (an append, a cancellation or this) resumes it.
                                topic.cancelWait(waitID, group: group)?.resume()
                            }
                        }
                        return
                    }
                    waiter.resume()
                }
            } onCancel: {
                topic.cancelWait(waitID, group: group)?.resume()
            }
            timer?.cancel()
            switch result {
            case .messages(let messages) where !messages.isEmpty:
                return messages
            case .left:
                return []
            case .messages, .waiting:
                continue
            }
        }
    }

    func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
        try backend.checkAvailable()
        try topic.settle(CollectionOfOne(token), as: .ack, member: member, group: group)
    }

    func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
        try backend.checkAvailable()
        try topic.settle(CollectionOfOne(token), as: .requeue, member: member, group: group)
    }

    /// Settles the whole batch under the group's one lock.
    func ack(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        try backend.checkAvailable()
        try topic.settle(tokens, as: .ack, member: member, group: group)
    }

    /// Requeues the whole batch under the group's one lock.
    func requeue(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        try backend.checkAvailable()
        try topic.settle(tokens, as: .requeue, member: member, group: group)
    }

    func release(_ tokens: [DeliveryToken]) {
        try? topic.settle(tokens.reversed(), as: .release, member: member, group: group)
    }

    func close() async throws(SwitchyardError) {
        leave()
    }

    /// A consumer dropped without being closed leaves its group too, so its partitions and the deliveries
    /// it held go to the group's other members.
    deinit {
        leave()
    }

    private func leave() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        topic.leave(member: member, group: group)
    }
}
