import Foundation
import GRPCCore
import Logging
import Switchyard

/// The gateway's topic hubs, one per topic, each started on first use.
///
/// Concurrent first subscriptions to a topic share one hub. A hub that stops (its consumer failed) is
/// forgotten, so the next subscription starts a fresh one with a new epoch.
final class TopicHubs: Sendable {
    private let backend: any MessagingBackend
    private let limits: GatewayLimits
    private let logger: Logger
    private let state = LockedValue(State())

    private struct State {
        var starting: [String: Task<TopicHub, any Error>] = [:]
        var running: [ObjectIdentifier: (hub: TopicHub, task: Task<Void, Never>)] = [:]
        var isClosed = false
    }

    init(backend: any MessagingBackend, limits: GatewayLimits, logger: Logger) {
        self.backend = backend
        self.limits = limits
        self.logger = logger
    }

    /// The hub for `topic`, started if needed.
    ///
    /// - Throws: `RPCError`: `UNAVAILABLE` while shutting down or when the backend cannot be reached,
    ///   `NOT_FOUND` for a topic the backend does not have, `INVALID_ARGUMENT` for a bad topic name.
    func hub(for topic: String) async throws(RPCError) -> TopicHub {
        let starting = try state.withLock { state throws(RPCError) -> Task<TopicHub, any Error> in
            guard !state.isClosed else {
                throw RPCError(code: .unavailable, message: "the gateway is shutting down; reconnect to another instance")
            }
            if let task = state.starting[topic] { return task }
            let task = Task { try await self.start(topic) }
            state.starting[topic] = task
            return task
        }
        do {
            return try await starting.value
        } catch {
            state.withLock { state in
                if state.starting[topic] == starting { state.starting[topic] = nil }
            }
            throw Self.status(error, topic: topic)
        }
    }

    private static func status(_ error: any Error, topic: String) -> RPCError {
        switch error {
        case let error as SwitchyardError:
            RPCError(error, doing: "subscribing to topic '\(topic)'")
        case let error as RPCError:
            error
        default:
            RPCError(code: .internalError, message: "starting topic '\(topic)' failed: \(error)")
        }
    }

    /// Starts consuming `topic` from now. On a backend that can replay, the consumer starts at the first
    /// message published at or after this moment rather than at `latest`, because a Kafka group is
    /// assigned its partitions seconds after the consumer is made, and `latest` would then skip what was
    /// published in between: a subscriber told its subscription started would miss those messages.
    private func start(_ topic: String) async throws -> TopicHub {
        let start: StartPosition =
            backend.capabilities.contains(.replay)
            ? .timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
            : .latest
        let consumer = try await backend.makeConsumer(
            topic: topic,
            options: ConsumerOptions(group: nil, startPosition: start, prefetch: limits.maxBatchMessages * 4),
            logger: logger
        )
        let hub = TopicHub(topic: topic, consumer: consumer, limits: limits, logger: logger)
        let closeNow = state.withLock { state in
            guard !state.isClosed else { return true }
            let task = Task {
                await hub.run()
                self.forget(hub)
            }
            state.running[ObjectIdentifier(hub)] = (hub, task)
            return false
        }
        if closeNow {
            await hub.close()
            throw RPCError(code: .unavailable, message: "the gateway is shutting down; reconnect to another instance")
        }
        logger.info("gateway consuming topic '\(topic)'", metadata: ["epoch": "\(hub.epoch)"])
        return hub
    }

    private func forget(_ hub: TopicHub) {
        state.withLock { state in
            state.running[ObjectIdentifier(hub)] = nil
            if !state.isClosed { state.starting[hub.topic] = nil }
        }
    }

    /// Ends every subscription with `error`, refuses new ones, closes the hubs' consumers and waits for
    /// their loops to end.
    func close(_ error: RPCError) async {
        let (running, starting) = state.withLock { state in
            state.isClosed = true
            return (Array(state.running.values), Array(state.starting.values))
        }
        for (hub, _) in running { hub.stop(error) }
        for (hub, _) in running { await hub.close() }
        for (_, task) in running { await task.value }
        for task in starting { _ = try? await task.value }
    }
}

extension RPCError {
    /// The status a client gets for a Switchyard error met while `doing` something for it.
    init(_ error: SwitchyardError, doing: String) {
        let code: RPCError.Code =
            switch error.code {
            case .invalidTopicName, .invalidMessage, .invalidConfiguration: .invalidArgument
            case .topicNotFound: .notFound
            case .messageTooLarge: .resourceExhausted
            case .unsupported: .failedPrecondition
            case .brokerUnavailable, .timeout, .authenticationFailed, .cancelled: .unavailable
            default: .internalError
            }
        self.init(code: code, message: "\(doing) failed: \(error.message)")
    }
}
