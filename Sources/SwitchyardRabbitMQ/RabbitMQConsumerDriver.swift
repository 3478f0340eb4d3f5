import Switchyard
import Synchronization

/// Consumes one group queue over one connection with manual acks; see ``ConsumerRole``.
final class RabbitMQConsumerDriver: ConsumerDriver {
    private let owner: ConnectionOwner<ConsumerRole>
    private let inbox: DeliveryInbox
    private let closed = Atomic<Bool>(false)

    private static let closedError = SwitchyardError(
        .consumerClosed,
        "The consumer is closed; its unsettled deliveries went back to the group. Settle deliveries before closing the consumer."
    )

    init(owner: ConnectionOwner<ConsumerRole>, inbox: DeliveryInbox) {
        self.owner = owner
        self.inbox = inbox
    }

    func receive(maxMessages: Int) async throws -> [ReceivedMessage] {
        try await inbox.receive(maxMessages: maxMessages)
    }

    func ack(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await settle(token, requeue: false)
    }

    func requeue(_ token: DeliveryToken) async throws(SwitchyardError) {
        try await settle(token, requeue: true)
    }

    func release(_ tokens: [DeliveryToken]) {
        inbox.release(tokens)
    }

    func close() async throws(SwitchyardError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        inbox.close()
        await owner.stop()
    }

    deinit {
        owner.requestStop()
    }

    private func settle(_ token: DeliveryToken, requeue: Bool) async throws(SwitchyardError) {
        if closed.load(ordering: .acquiring) { throw Self.closedError }
        let tag = try inbox.claim(token)
        try await owner.perform(closed: Self.closedError) { role, session throws(AMQPFailure) in
            try role.settle(tag, epoch: token.epoch, requeue: requeue, on: session)
        }
    }
}
