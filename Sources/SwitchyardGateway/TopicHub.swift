import DequeModule
import GRPCCore
import Logging
import Switchyard

/// One topic's stream in the gateway: a single backend consumer, fanned out to every subscription.
///
/// The hub consumes in a private group from the moment it starts, so every gateway instance sees every
/// message of the topic, and acknowledges each batch once it has been handed to the subscriber queues.
/// It keeps the latest `replayWindowMessages` messages, numbered in arrival order, for resume and for
/// `START_FROM_EARLIEST`, and the latest message per key (up to `lastValueKeys` keys) for snapshots.
///
/// Attaching a subscription, and handing a batch to the subscriptions, happen under one lock, so a
/// subscription that starts from a snapshot or a position gets each later message exactly once.
final class TopicHub: Sendable {
    let topic: String
    /// Chosen at random when the hub starts; positions from any other hub do not match it.
    let epoch: UInt64
    private let consumer: Consumer
    private let limits: GatewayLimits
    private let logger: Logger
    private let state: LockedValue<State>

    private struct State {
        var window: Deque<StreamEntry> = []
        var lastSequence: UInt64 = 0
        var lastValues: [[UInt8]: StreamEntry] = [:]
        var byKey: [[UInt8]: [ObjectIdentifier: SubscriberQueue]] = [:]
        var everyKey: [ObjectIdentifier: SubscriberQueue] = [:]
        var ending: RPCError?
    }

    init(topic: String, consumer: Consumer, limits: GatewayLimits, logger: Logger) {
        self.topic = topic
        self.consumer = consumer
        self.limits = limits
        self.logger = logger
        epoch = UInt64.random(in: 1...UInt64.max)
        state = LockedValue(State())
    }

    /// Starts a subscription.
    ///
    /// - Returns: its queue, already holding the snapshot and replay it asked for, and the `started`
    ///   event that tells the client how its start was honoured.
    /// - Throws: `RPCError` `UNAVAILABLE` when the hub has stopped, `INVALID_ARGUMENT` for a malformed
    ///   `resume_from`.
    func attach(_ request: Switchyard_V1_SubscribeRequest) throws(RPCError) -> (SubscriberQueue, Switchyard_V1_SubscriptionStarted) {
        let keys = request.keys.isEmpty ? nil : Set(request.keys.map { [UInt8]($0) })
        let mode: SubscriberQueue.Mode = request.mode == .everyMessage ? .everyMessage : .conflated
        var resumeFrom: StreamPosition?
        if request.start == .position {
            guard let position = StreamPosition(encoded: request.resumeFrom) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "resume_from is not a position: pass the `position` of the last message received"
                )
            }
            resumeFrom = position
        }
        return try state.withLock { state throws(RPCError) in
            if let ending = state.ending { throw ending }
            var started = Switchyard_V1_SubscriptionStarted()
            var replay: [StreamEntry] = []
            switch request.start {
            case .earliest:
                replay = state.window.filter { Self.matches($0.key, keys) }
                started.detail = "replaying the \(replay.count) message(s) this gateway holds for the topic, then live"
            case .position:
                if let position = resumeFrom {
                    let oldest = state.window.first?.sequence ?? state.lastSequence + 1
                    if position.epoch != epoch {
                        started.recovery = .gapNotRecovered
                        started.detail = "the position is from another gateway process or an earlier run of this topic's stream; starting at the latest message"
                    } else if position.sequence > state.lastSequence {
                        started.recovery = .gapNotRecovered
                        started.detail = "the position is ahead of this gateway's stream; starting at the latest message"
                    } else if position.sequence < oldest - 1 {
                        started.recovery = .gapNotRecovered
                        started.detail = "the position is older than this gateway's replay window of \(limits.replayWindowMessages) messages; starting at the latest message"
                    } else {
                        started.recovery = .recovered
                        replay = state.window.filter { $0.sequence > position.sequence && Self.matches($0.key, keys) }
                    }
                }
            case .latest, .UNRECOGNIZED:
                break
            }
            var snapshot: [StreamEntry] = []
            if request.snapshot, started.recovery != .recovered {
                let cached: [StreamEntry] =
                    if let keys { keys.compactMap { state.lastValues[$0] } } else { Array(state.lastValues.values) }
                let firstReplayed = replay.first?.sequence ?? .max
                snapshot = cached.filter { $0.sequence < firstReplayed }.sorted { $0.sequence < $1.sequence }
            }
            let queue = SubscriberQueue(
                mode: mode,
                capacity: limits.subscriberQueueCapacity,
                keys: keys,
                snapshot: snapshot,
                replay: replay
            )
            let id = ObjectIdentifier(queue)
            if let keys {
                for key in keys { state.byKey[key, default: [:]][id] = queue }
            } else {
                state.everyKey[id] = queue
            }
            return (queue, started)
        }
    }

    /// Removes a subscription; its queue gets no more messages.
    func detach(_ queue: SubscriberQueue) {
        let id = ObjectIdentifier(queue)
        state.withLock { state in
            if let keys = queue.keys {
                for key in keys {
                    state.byKey[key]?[id] = nil
                    if state.byKey[key]?.isEmpty == true { state.byKey[key] = nil }
                }
            } else {
                state.everyKey[id] = nil
            }
        }
        queue.end(.finished)
    }

    /// Consumes the topic until the consumer closes or fails, or the task is cancelled, then ends every
    /// subscription with `UNAVAILABLE` so that clients reconnect.
    func run() async {
        var sequence: UInt64 = 0
        let reason: String
        do {
            while true {
                let deliveries = try await consumer.receive(maxMessages: limits.maxBatchMessages)
                if deliveries.isEmpty { break }
                let entries = deliveries.map { delivery in
                    sequence += 1
                    return StreamEntry(message: delivery.message, sequence: sequence, epoch: epoch)
                }
                publish(entries)
                try await consumer.ack(deliveries)
            }
            reason = "the gateway stopped consuming topic '\(topic)'; reconnect and resume from your last position"
        } catch {
            if error.code == .cancelled {
                reason = "the gateway is shutting down; reconnect and resume from your last position"
            } else {
                logger.error("the gateway's consumer of topic '\(topic)' failed: \(error)")
                reason = "the gateway lost its backend consumer for topic '\(topic)' (\(error.code)); reconnect and resume from your last position"
            }
        }
        stop(RPCError(code: .unavailable, message: reason))
    }

    /// Ends every subscription with `error` and refuses new ones.
    func stop(_ error: RPCError) {
        let queues = state.withLock { state -> [SubscriberQueue] in
            if state.ending == nil { state.ending = error }
            let queues = Array(state.everyKey.values) + state.byKey.values.flatMap(\.values)
            state.everyKey = [:]
            state.byKey = [:]
            return queues
        }
        for queue in queues { queue.end(.failed(error)) }
    }

    /// Closes the backend consumer, which ends ``run()``.
    func close() async {
        do {
            try await consumer.close()
        } catch {
            logger.warning("closing the gateway's consumer of topic '\(topic)' failed: \(error)")
        }
    }

    private func publish(_ entries: [StreamEntry]) {
        state.withLock { state in
            for entry in entries {
                state.window.append(entry)
                if let key = entry.key, state.lastValues[key] != nil || state.lastValues.count < limits.lastValueKeys {
                    state.lastValues[key] = entry
                }
            }
            if state.window.count > limits.replayWindowMessages {
                state.window.removeFirst(state.window.count - limits.replayWindowMessages)
            }
            state.lastSequence = entries.last?.sequence ?? state.lastSequence
            for queue in state.everyKey.values { queue.offer(entries) }
            guard !state.byKey.isEmpty else { return }
            var byQueue: [ObjectIdentifier: (SubscriberQueue, [StreamEntry])] = [:]
            for entry in entries {
                guard let key = entry.key, let queues = state.byKey[key] else { continue }
                for (id, queue) in queues { byQueue[id, default: (queue, [])].1.append(entry) }
            }
            for (queue, matching) in byQueue.values { queue.offer(matching) }
        }
    }

    private static func matches(_ key: [UInt8]?, _ keys: Set<[UInt8]>?) -> Bool {
        guard let keys else { return true }
        guard let key else { return false }
        return keys.contains(key)
    }
}
