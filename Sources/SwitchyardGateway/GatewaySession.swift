import DequeModule
import GRPCCore
import Switchyard

/// One `Session` stream: many subscriptions, command results, and credit-based flow control.
///
/// Messages on a session are numbered 1, 2, 3, ... across its subscriptions (`GatewayMessage.sequence`).
/// The client widens the window with `Credit` and frees it with `Ack`; the gateway never has more
/// messages sent and unacknowledged than the credit granted. Subscriptions take turns, so a busy one
/// cannot starve the others. Command results and subscription events are not messages and need no
/// credit.
final class GatewaySession: Sendable {
    private let hubs: TopicHubs
    private let scope: TopicScope?
    private let limits: GatewayLimits
    private let state = LockedValue(State())
    private let wakeups = WakeSignal()

    private struct Subscription {
        let hub: TopicHub
        let queue: SubscriberQueue
    }

    private struct State {
        var outbox: Deque<Switchyard_V1_SessionResponse> = []
        var subscriptions: [String: Subscription] = [:]
        var turns: [String] = []
        var nextSubscription = 1
        var credit: UInt64 = 0
        var sentThrough: UInt64 = 0
        var commandsEnded = false
        var ackedThrough: UInt64 = 0

        var window: UInt64 { credit - (sentThrough - ackedThrough) }
    }

    init(hubs: TopicHubs, scope: TopicScope?, limits: GatewayLimits) {
        self.hubs = hubs
        self.scope = scope
        self.limits = limits
    }

    /// Serves the session until the client closes its side of the stream (after writing the answers to
    /// its commands), or until the task is cancelled.
    ///
    /// - Throws: `RPCError` `RESOURCE_EXHAUSTED` when the client sends commands faster than it reads
    ///   their answers, past ``maxPendingResponses``.
    func run(
        commands: RPCAsyncSequence<Switchyard_V1_SessionRequest, any Error>,
        writer: RPCWriter<Switchyard_V1_SessionResponse>
    ) async throws {
        try await withThrowingTaskGroup { group in
            group.addTask {
                for try await command in commands {
                    try self.checkBacklog()
                    await self.handle(command)
                }
                self.state.withLock { $0.commandsEnded = true }
                self.wake()
            }
            group.addTask {
                try await self.write(to: writer)
            }
            try await group.waitForAll()
        }
    }

    /// How many answers and events may wait for a client that does not read before the session ends.
    static let maxPendingResponses = 10_000

    private func checkBacklog() throws(RPCError) {
        let pending = state.withLock { $0.outbox.count }
        guard pending < Self.maxPendingResponses else {
            throw RPCError(
                code: .resourceExhausted,
                message: "\(pending) answers are waiting for this client to read them; read the session's responses while sending commands"
            )
        }
    }

    // MARK: Commands

    private func handle(_ request: Switchyard_V1_SessionRequest) async {
        var result = Switchyard_V1_CommandResult()
        result.commandID = request.commandID
        do throws(RPCError) {
            switch request.command {
            case .subscribe(let subscribe):
                try await self.subscribe(subscribe, answering: result)
                return
            case .unsubscribe(let unsubscribe):
                try self.unsubscribe(unsubscribe.subscriptionID)
            case .ack(let ack):
                try self.ack(through: ack.throughSequence)
            case .credit(let credit):
                state.withLock { $0.credit += UInt64(credit.messages) }
            case nil:
                throw RPCError(code: .invalidArgument, message: "the command is empty: set subscribe, unsubscribe, ack or credit")
            }
        } catch {
            result.errorCode = error.code.canonicalName
            result.errorMessage = error.message
        }
        var response = Switchyard_V1_SessionResponse()
        response.result = result
        send(response)
    }

    /// Starts a subscription. Its result, its `started` event and its registration with the writer happen
    /// under one lock, so no batch of it can be written before they are.
    private func subscribe(_ request: Switchyard_V1_SubscribeRequest, answering result: Switchyard_V1_CommandResult) async throws(RPCError) {
        if let scope, !scope.allows(request.topic) {
            throw RPCError(code: .permissionDenied, message: "this token is not allowed topic '\(request.topic)'")
        }
        let open = state.withLock { $0.subscriptions.count }
        guard open < limits.maxSubscriptionsPerSession else {
            throw RPCError(
                code: .resourceExhausted,
                message: "this session already has \(open) subscriptions, the most allowed; unsubscribe from one first"
            )
        }
        let hub = try await hubs.hub(for: request.topic)
        let (queue, started) = try hub.attach(request)
        state.withLock { state in
            defer { state.nextSubscription += 1 }
            let id = "s\(state.nextSubscription)"
            var answer = result
            answer.subscriptionID = id
            var resultResponse = Switchyard_V1_SessionResponse()
            resultResponse.result = answer
            var startedEvent = started
            startedEvent.subscriptionID = id
            var startedResponse = Switchyard_V1_SessionResponse()
            startedResponse.started = startedEvent
            state.outbox.append(resultResponse)
            state.outbox.append(startedResponse)
            state.subscriptions[id] = Subscription(hub: hub, queue: queue)
            state.turns.append(id)
        }
        wake()
        queue.notify { [weak self] in self?.wake() }
    }

    private func unsubscribe(_ id: String) throws(RPCError) {
        guard let subscription = remove(id) else {
            throw RPCError(code: .notFound, message: "this session has no subscription '\(id)'")
        }
        subscription.hub.detach(subscription.queue)
    }

    private func ack(through sequence: UInt64) throws(RPCError) {
        try state.withLock { state throws(RPCError) in
            guard sequence <= state.sentThrough else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "ack through \(sequence), but only \(state.sentThrough) messages were sent on this session"
                )
            }
            state.ackedThrough = max(state.ackedThrough, sequence)
        }
        wake()
    }

    private func remove(_ id: String) -> Subscription? {
        state.withLock { state in
            state.turns.removeAll { $0 == id }
            return state.subscriptions.removeValue(forKey: id)
        }
    }

    /// Detaches every subscription of the session from its hub.
    func detachAll() {
        let subscriptions = state.withLock { state in
            defer {
                state.subscriptions = [:]
                state.turns = []
            }
            return Array(state.subscriptions.values)
        }
        for subscription in subscriptions { subscription.hub.detach(subscription.queue) }
    }

    // MARK: Writing

    private func send(_ response: Switchyard_V1_SessionResponse) {
        state.withLock { $0.outbox.append(response) }
        wake()
    }

    private func wake() {
        wakeups.wake()
    }

    private func write(to writer: RPCWriter<Switchyard_V1_SessionResponse>) async throws {
        while !Task.isCancelled {
            let (outbox, commandsEnded) = state.withLock { state in
                defer { state.outbox = [] }
                return (state.outbox, state.commandsEnded)
            }
            for response in outbox { try await writer.write(response) }
            if commandsEnded { return }
            let batches = collectBatches()
            for response in batches { try await writer.write(response) }
            if outbox.isEmpty, batches.isEmpty { await wakeups.wait() }
        }
    }

    /// Takes what the subscriptions have ready, each in turn, within the window, numbering the messages.
    private func collectBatches() -> [Switchyard_V1_SessionResponse] {
        let (initialWindow, turns) = state.withLock { ($0.window, $0.turns) }
        var window = initialWindow
        var responses: [Switchyard_V1_SessionResponse] = []
        for id in turns {
            guard let subscription = state.withLock({ $0.subscriptions[id] }) else { continue }
            do {
                guard var batch = try subscription.queue.poll(max: Int(min(window, UInt64(limits.maxBatchMessages)))) else {
                    continue
                }
                let first = state.withLock { state in
                    defer { state.sentThrough += UInt64(batch.messages.count) }
                    return state.sentThrough + 1
                }
                for index in batch.messages.indices { batch.messages[index].sequence = first + UInt64(index) }
                window -= UInt64(batch.messages.count)
                var response = Switchyard_V1_SessionResponse()
                response.batch = batch.wire(subscriptionID: id)
                responses.append(response)
            } catch {
                _ = remove(id)
                subscription.hub.detach(subscription.queue)
                var ended = Switchyard_V1_SubscriptionEnded()
                ended.subscriptionID = id
                ended.code = error.code.canonicalName
                ended.message = error.message
                var response = Switchyard_V1_SessionResponse()
                response.ended = ended
                responses.append(response)
            }
        }
        state.withLock { state in
            if let first = state.turns.first, state.turns.count > 1 {
                state.turns.removeFirst()
                state.turns.append(first)
            }
        }
        return responses
    }
}
