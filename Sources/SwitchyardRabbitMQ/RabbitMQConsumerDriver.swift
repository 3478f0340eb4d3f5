import Switchyard
import Synchronization

/// Consumes one group queue over one connection with manual acks; see ``ConsumerRole``.
final class RabbitMQConsumerDriver: ConsumerDriver {
    private let owner: ConnectionOwner<ConsumerRole>
    private let inbox: DeliveryInbox
    private let closed = Atomic<Bool>(false)
    private let canRequeue: Bool
    private let leave: @Sendable () -> Void

    private static let closedError = SwitchyardError(
        .consumerClosed,
        "The consumer is closed; its unsettled deliveries went back to the group. Settle deliveries before closing the consumer."
    )

    /// - Parameters:
    ///   - canRequeue: `false` on stream queues, which cannot deliver a message again.
    ///   - leave: called once when the consumer closes or is released.
    init(owner: ConnectionOwner<ConsumerRole>, inbox: DeliveryInbox, canRequeue: Bool, leave: @escaping @Sendable () -> Void) {
        self.owner = owner
        self.inbox = inbox
        self.canRequeue = canRequeue
        self.leave = leave
    }

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        try await inbox.receive(maxMessages: maxMessages)
    }

    func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await settle([token], requeue: false)
    }

    func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await requeue([token])
    }

    func ack(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        try await settle(tokens, requeue: false)
    }

    func requeue(_ tokens: [DeliveryToken]) async throws(SwitchyardError) {
        guard canRequeue else {
            throw SwitchyardError(
                .unsupported,
                "RabbitMQ stream queues cannot deliver a message again, so nack(requeue: true) is not available; the delivery is still unsettled. Ack it, dead-letter it (nack(requeue: false) or deadLetter(reason:)), or use quorum queues."
            )
        }
        try await settle(tokens, requeue: true)
    }

    func release(_ tokens: [DeliveryToken]) {
        inbox.release(tokens)
    }

    func close() async throws(SwitchyardError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        inbox.close()
        await owner.stop()
        leave()
    }

    deinit {
        owner.requestStop()
        if !closed.load(ordering: .acquiring) { leave() }
    }

    /// Claims the deliveries still held, then hands their `basic.ack`s or `basic.nack`s to the owner
    /// thread as one job and returns without waiting for them to be written: AMQP never confirms a
    /// settlement, so waiting would promise nothing more. Acks of tags that are contiguous on the
    /// channel go out as one `basic.ack` with `multiple`. A settlement queued just before its
    /// connection drops is discarded with that channel, and the broker delivers the message again
    /// (at-least-once), exactly as when the connection drops after the frame was written but before
    /// the broker applied it. Throws `alreadySettled` if any delivery was no longer held; the others
    /// are settled.
    private func settle(_ tokens: [DeliveryToken], requeue: Bool) async throws(SwitchyardError) {
        if closed.load(ordering: .acquiring) { throw Self.closedError }
        let (tags, epoch, claimedAll) = inbox.claim(tokens)
        if let epoch, !tags.isEmpty {
            let queued = owner.submit { role, session throws(AMQPFailure) in
                guard let session else { return }
                for tag in tags {
                    do throws(AMQPFailure) {
                        try role.settle(tag, epoch: epoch, requeue: requeue, on: session)
                    } catch where !error.breaksSession {
                        return
                    }
                }
            }
            if !queued { throw Self.closedError }
        }
        if !claimedAll {
            throw SwitchyardError(
                .alreadySettled,
                "\(tokens.count - tags.count) of \(tokens.count) deliveries were already settled, or their connection was re-established since they arrived; RabbitMQ delivers an unsettled message again."
            )
        }
    }
}
