import Logging
import Switchyard

/// Sends every message to the primary and a copy with the same id and timestamp to the secondary.
///
/// While the spool is empty, the secondary connected and the ``SecondaryBreaker`` closed, the copy is
/// sent concurrently with the primary send, and the send waits for it at most `secondarySendTimeout`;
/// a copy that fails or times out opens the breaker and is spooled, and so are the copies other sends
/// are still waiting for. While the breaker is open or the spool holds anything, copies go straight to
/// the spool behind it, so the secondary receives one producer's messages in the order they were sent.
/// A send returns once the primary acknowledged and the copy is either acknowledged by the secondary
/// or `fsync`'d in the spool.
struct DualWriteProducerDriver: ProducerDriver {
    let primary: any ProducerDriver
    let link: SecondaryLink
    let spool: DualWriteSpool
    let breaker: SecondaryBreaker
    /// The longest a send waits for its direct copy.
    let secondarySendTimeout: Duration
    let metrics: DualWriteMetrics
    let logger: Logger

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        try await send([message], to: topic) { messages, topic throws(SwitchyardError) in
            [try await primary.send(messages[0], to: topic)]
        } copy: { secondary, messages, topic throws(SwitchyardError) in
            _ = try await secondary.send(messages[0], to: topic)
        }[0]
    }

    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        try await send(messages, to: topic) { messages, topic throws(SwitchyardError) in
            try await primary.send(messages, to: topic)
        } copy: { secondary, messages, topic throws(SwitchyardError) in
            _ = try await secondary.send(messages, to: topic)
        }
    }

    /// Returns when every send started before has its outcome: sends wait for their copies, so the
    /// primary's flush is enough; the secondary is flushed too, on a best-effort basis.
    func flush() async throws(SwitchyardError) {
        try await primary.flush()
        try? await link.driver?.flush()
    }

    /// Closes the primary driver. The secondary driver and the spool belong to the backend, which keeps
    /// replaying until ``DualWriteBackend/shutdown()``.
    func close() async throws(SwitchyardError) {
        try await primary.close()
    }

    private func send(
        _ messages: [Message],
        to topic: String,
        primarySend: (_ messages: [Message], _ topic: String) async throws(SwitchyardError) -> [DeliveryPosition],
        copy: @escaping @Sendable (_ secondary: any ProducerDriver, _ messages: [Message], _ topic: String) async throws(SwitchyardError) -> Void
    ) async throws(SwitchyardError) -> [DeliveryPosition] {
        guard spool.depth == 0, let secondary = link.driver, let (id, direct) = breaker.startCopy() else {
            let positions = try await sendToPrimary(messages, to: topic, primarySend: primarySend)
            try await spoolCopies(messages, to: topic, cause: nil)
            return positions
        }
        let deadline = ContinuousClock.now + secondarySendTimeout
        // Not a child task: a send stops waiting for its copy at the deadline, or when the breaker opens,
        // while the copy runs on to its own outcome.
        Task { [breaker] in
            if let error = await Self.attempt(copy, secondary, messages, topic) {
                direct.decide(.failed(error))
                breaker.open()
            } else {
                direct.decide(.acknowledged)
            }
        }
        let primaryResult: Result<[DeliveryPosition], SwitchyardError>
        do throws(SwitchyardError) {
            primaryResult = .success(try await sendToPrimary(messages, to: topic, primarySend: primarySend))
        } catch {
            primaryResult = .failure(error)
        }
        let outcome = await direct.outcome(deadline: deadline)
        breaker.finish(id)
        let copyError: SwitchyardError
        switch outcome {
        case .acknowledged:
            return try primaryResult.get()
        case .failed(let error):
            copyError = error
        case .timedOut:
            breaker.open()
            copyError = SwitchyardError(
                .timeout,
                "The secondary did not acknowledge the copy within \(secondarySendTimeout).",
                isRetriable: true
            )
        case .abandoned:
            copyError = SwitchyardError(
                .brokerUnavailable,
                "Another copy to the secondary failed or timed out, so this one was not waited for.",
                isRetriable: true
            )
        }
        // Spool the copies the secondary lacks of the messages the primary has.
        let secondaryLacks = Self.unacknowledged(copyError, of: messages)
        metrics.secondaryFailures.increment(by: messages.filter { secondaryLacks.contains($0.id) }.count)
        let primaryHas: Set<String>
        switch primaryResult {
        case .success:
            primaryHas = Set(messages.map(\.id))
        case .failure(let error):
            primaryHas = Set(messages.map(\.id)).subtracting(Self.unacknowledged(error, of: messages))
        }
        let missing = messages.filter { primaryHas.contains($0.id) && secondaryLacks.contains($0.id) }
        if !missing.isEmpty {
            try await spoolCopies(missing, to: topic, cause: copyError)
        }
        return try primaryResult.get()
    }

    private func sendToPrimary(
        _ messages: [Message],
        to topic: String,
        primarySend: (_ messages: [Message], _ topic: String) async throws(SwitchyardError) -> [DeliveryPosition]
    ) async throws(SwitchyardError) -> [DeliveryPosition] {
        do {
            let positions = try await primarySend(messages, topic)
            metrics.writes.increment(by: messages.count)
            return positions
        } catch {
            let failed = Self.unacknowledged(error, of: messages).count
            metrics.primaryFailures.increment(by: failed)
            metrics.writes.increment(by: messages.count - failed)
            throw error
        }
    }

    /// Writes the copies to the spool, durably. When even that fails, the send fails: the primary has
    /// the messages, the secondary may not, and the caller should resend them with the same ids.
    private func spoolCopies(_ messages: [Message], to topic: String, cause: SwitchyardError?) async throws(SwitchyardError) {
        do {
            try await spool.append(messages.map { (topic, $0) })
            if let cause {
                logger.debug("Spooled copies the secondary did not take", metadata: ["topic": "\(topic)", "count": "\(messages.count)", "error": "\(cause)"])
            }
        } catch {
            throw SwitchyardError(
                .brokerUnavailable,
                "The primary acknowledged \(messages.count) message(s) on topic '\(topic)', but the secondary \(cause.map { "failed (\($0))" } ?? "is behind its spool") and the spool could not store the copies: \(error). Resend them with the same ids once the spool directory is writable.",
                isRetriable: true,
                unacknowledgedMessageIDs: messages.map(\.id)
            )
        }
    }

    /// Runs the copy and returns its error, if any.
    private static func attempt(
        _ copy: @Sendable (_ secondary: any ProducerDriver, _ messages: [Message], _ topic: String) async throws(SwitchyardError) -> Void,
        _ secondary: any ProducerDriver,
        _ messages: [Message],
        _ topic: String
    ) async -> SwitchyardError? {
        do {
            try await copy(secondary, messages, topic)
            return nil
        } catch {
            return error
        }
    }

    /// The ids `error` says were not acknowledged: those a partial batch names, otherwise all.
    private static func unacknowledged(_ error: SwitchyardError, of messages: [Message]) -> Set<String> {
        error.code == .partialBatch ? Set(error.unacknowledgedMessageIDs) : Set(messages.map(\.id))
    }
}
