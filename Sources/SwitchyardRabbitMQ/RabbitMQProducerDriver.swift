import Logging
import Switchyard
import Synchronization

/// Publishes over one connection in confirm mode; see ``PublisherRole`` for the confirm window and
/// the resending of publishes whose confirm a reconnect lost.
final class RabbitMQProducerDriver: ProducerDriver {
    private let owner: ConnectionOwner<PublisherRole>
    private let sendTimeout: Duration
    private let closed = Atomic<Bool>(false)

    private static let closedError = SwitchyardError(.producerClosed, "The producer is closed. Create a new producer to send more messages.")

    init(owner: ConnectionOwner<PublisherRole>, sendTimeout: Duration) {
        self.owner = owner
        self.sendTimeout = sendTimeout
    }

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        try Self.checkHeaders(message)
        let deadline = ContinuousClock.now + sendTimeout
        let result: Result<DeliveryPosition, SwitchyardError> = await withCheckedContinuation { continuation in
            let publish = PendingPublish(topic: topic, message: message, deadline: deadline, complete: { continuation.resume(returning: $0) })
            if !submit([publish]) {
                continuation.resume(returning: .failure(Self.closedError))
            }
        }
        return try result.get()
    }

    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        guard !messages.isEmpty else { return [] }
        for message in messages { try Self.checkHeaders(message) }
        let deadline = ContinuousClock.now + sendTimeout
        let collector = BatchOutcomes<Result<DeliveryPosition, SwitchyardError>>(count: messages.count)
        let publishes = messages.enumerated().map { index, message in
            PendingPublish(topic: topic, message: message, deadline: deadline, complete: { collector.record($0, at: index) })
        }
        let results: [Result<DeliveryPosition, SwitchyardError>] =
            submit(publishes)
            ? await collector.wait(for: messages.count).compactMap { $0 }
            : messages.map { _ in .failure(Self.closedError) }
        var positions: [DeliveryPosition] = []
        var unacknowledged: [String] = []
        var firstError: SwitchyardError?
        for (message, result) in zip(messages, results) {
            switch result {
            case .success(let position): positions.append(position)
            case .failure(let error):
                unacknowledged.append(message.id)
                firstError = firstError ?? error
            }
        }
        if let firstError {
            throw .partialBatch(unacknowledgedMessageIDs: unacknowledged, of: messages.count, firstFailure: firstError)
        }
        return positions
    }

    func flush() async throws(SwitchyardError) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = owner.submit { role, _ in
                role.whenFlushed { continuation.resume() }
            }
            if !accepted { continuation.resume() }
        }
    }

    func close() async throws(SwitchyardError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await flush()
        await owner.stop()
    }

    deinit {
        owner.requestStop()
    }

    private func submit(_ publishes: [PendingPublish]) -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        return owner.submit { role, _ in role.enqueue(publishes) }
    }

    /// Refuses headers that the broker or Switchyard sets, which would be lost or misread on receipt.
    private static func checkHeaders(_ message: Message) throws(SwitchyardError) {
        if let reserved = message.headers.first(where: { WireFormat.reservedHeaders.contains($0.name) }) {
            throw SwitchyardError(
                .invalidMessage,
                "The header name '\(reserved.name)' is set by RabbitMQ or by Switchyard's RabbitMQ backend and is stripped on receipt. Rename the header."
            )
        }
    }
}
