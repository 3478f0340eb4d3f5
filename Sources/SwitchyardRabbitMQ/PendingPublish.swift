import Switchyard

/// A send waiting to be published or confirmed, owned by a ``PublisherRole`` on its thread.
struct PendingPublish {
    /// Submission order within the producer, for flush.
    var sequence: UInt64 = 0
    let topic: String
    let message: Message
    let deadline: ContinuousClock.Instant
    /// Set when the broker returned the message as unroutable; its confirm follows.
    var returned: String?
    /// Resumes the sender, on the owner thread.
    let complete: @Sendable (Result<DeliveryPosition, SwitchyardError>) -> Void
}
