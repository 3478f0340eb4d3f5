import GRPCCore
import Logging
import Switchyard

/// The `switchyard.v1.Gateway` service: Subscribe, Session and Publish over the gateway's hubs and
/// producer.
struct GatewayService: Switchyard_V1_Gateway.ServiceProtocol {
    let hubs: TopicHubs
    let publisher: GatewayPublisher
    let tokens: AccessTokens
    let limits: GatewayLimits
    let shutdown: OneShotSignal

    func subscribe(
        request: ServerRequest<Switchyard_V1_SubscribeRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Switchyard_V1_SubscribeResponse> {
        let topic = request.message.topic
        try tokens.authorize(request.metadata, topic: topic)
        let hub = try await hubs.hub(for: topic)
        let (queue, started) = try hub.attach(request.message)
        return StreamingServerResponse { [limits, shutdown] writer in
            defer { hub.detach(queue) }
            try await runStream(until: shutdown) {
                var first = Switchyard_V1_SubscribeResponse()
                first.started = started
                try await writer.write(first)
                while let batch = try await queue.next(max: limits.maxBatchMessages) {
                    var response = Switchyard_V1_SubscribeResponse()
                    response.batch = batch.wire(subscriptionID: "")
                    try await writer.write(response)
                }
            }
            return [:]
        }
    }

    func session(
        request: StreamingServerRequest<Switchyard_V1_SessionRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Switchyard_V1_SessionResponse> {
        let scope = try tokens.scope(of: request.metadata)
        return StreamingServerResponse { [hubs, limits, shutdown] writer in
            let session = GatewaySession(hubs: hubs, scope: scope, limits: limits)
            defer { session.detachAll() }
            try await runStream(until: shutdown) {
                try await session.run(commands: request.messages, writer: writer)
            }
            return [:]
        }
    }

    func publish(
        request: StreamingServerRequest<Switchyard_V1_PublishRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Switchyard_V1_PublishResponse> {
        let scope = try tokens.scope(of: request.metadata)
        return StreamingServerResponse { [publisher, shutdown] writer in
            try await runStream(until: shutdown) {
                try await publisher.answer(request.messages, scope: scope, writer: writer)
            }
            return [:]
        }
    }
}

extension Switchyard_V1_PublishResponse {
    /// Marks the response as failed with `error`'s code and text.
    mutating func fail(_ error: SwitchyardError) {
        errorCode = error.code.description
        errorMessage = error.message
    }
}

extension SubscriberQueue.Batch {
    func wire(subscriptionID: String) -> Switchyard_V1_MessageBatch {
        var batch = Switchyard_V1_MessageBatch()
        batch.messages = messages
        batch.snapshot = isSnapshot
        batch.conflated = conflated
        batch.subscriptionID = subscriptionID
        return batch
    }
}

/// Sends published messages through one producer, made on first use.
final class GatewayPublisher: Sendable {
    private let backend: any MessagingBackend
    private let maxPayloadBytes: Int
    private let logger: Logger
    private let producer = LockedValue<Task<Producer, any Error>?>(nil)

    /// A publisher that answers a payload over `maxPayloadBytes` with `messageTooLarge` without sending it.
    init(backend: any MessagingBackend, maxPayloadBytes: Int, logger: Logger) {
        self.backend = backend
        self.maxPayloadBytes = maxPayloadBytes
        self.logger = logger
    }

    /// The most requests of one stream read ahead of their sends, and the most payload bytes they hold.
    static let readAhead = (requests: 256, bytes: 4 << 20)

    /// Answers every request of `requests`, in order, with its id once the backend's send has returned,
    /// or with the error's code and text.
    ///
    /// Requests are read ahead of their sends (at most ``readAhead``), and the requests that arrived
    /// while a send was under way are sent together, consecutive ones to the same topic in one batch
    /// send. So a stream is not held to one broker round trip per message. Sends are made one after
    /// another in request order, so the order per key holds, except for a message that is resent on its
    /// own after its batch failed.
    ///
    /// - Throws: `PERMISSION_DENIED` for a request to a topic outside `scope`, after answering the
    ///   requests before it; what reading the requests or writing the responses throws.
    func answer(
        _ requests: RPCAsyncSequence<Switchyard_V1_PublishRequest, any Error>,
        scope: TopicScope?,
        writer: RPCWriter<Switchyard_V1_PublishResponse>
    ) async throws {
        let inbox = PublishInbox(maxRequests: Self.readAhead.requests, maxBytes: Self.readAhead.bytes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await request in requests {
                        if let scope, !scope.allows(request.topic) {
                            throw RPCError(code: .permissionDenied, message: "this token is not allowed topic '\(request.topic)'")
                        }
                        try await inbox.put(request)
                    }
                    inbox.finish(throwing: nil)
                } catch {
                    inbox.finish(throwing: error)
                }
            }
            while let taken = try await inbox.take(max: Self.readAhead.requests) {
                var start = taken.startIndex
                while start < taken.endIndex {
                    let topic = taken[start].topic
                    let end = taken[start...].firstIndex { $0.topic != topic } ?? taken.endIndex
                    for response in await send(taken[start..<end], to: topic) {
                        try await writer.write(response)
                    }
                    start = end
                }
            }
            try await group.waitForAll()
        }
    }

    /// Sends `requests`' messages to `topic` in one batch and returns a response for each, in order.
    ///
    /// When the batch fails, each message not known to be acknowledged is sent again on its own, so
    /// that every message gets its own outcome (a message too large, for one, fails alone).
    private func send(_ requests: ArraySlice<Switchyard_V1_PublishRequest>, to topic: String) async -> [Switchyard_V1_PublishResponse] {
        var responses: [Switchyard_V1_PublishResponse] = []
        var messages: [(message: Switchyard.Message, response: Int)] = []
        for request in requests {
            var response = Switchyard_V1_PublishResponse()
            response.id = request.message.id
            do throws(SwitchyardError) {
                guard request.message.payload.count <= maxPayloadBytes else {
                    throw SwitchyardError(
                        .messageTooLarge,
                        "The payload is \(request.message.payload.count) bytes; this gateway accepts at most \(maxPayloadBytes). Send it in smaller parts, or raise the gateway's --max-request-bytes."
                    )
                }
                let message = try Switchyard.Message(publishing: request)
                response.id = message.id
                messages.append((message, responses.count))
            } catch {
                response.fail(error)
            }
            responses.append(response)
        }
        guard !messages.isEmpty else { return responses }
        do throws(SwitchyardError) {
            let producer = try await producer()
            if messages.count == 1 {
                try await producer.send(messages[0].message, to: topic)
            } else {
                try await producer.send(messages.map(\.message), to: topic)
            }
        } catch {
            let unacknowledged = error.code == .partialBatch ? Set(error.unacknowledgedMessageIDs) : Set(messages.map(\.message.id))
            for (message, index) in messages where unacknowledged.contains(message.id) {
                guard messages.count > 1 else {
                    responses[index].fail(error)
                    continue
                }
                do throws(SwitchyardError) {
                    try await producer().send(message, to: topic)
                } catch {
                    responses[index].fail(error)
                }
            }
        }
        return responses
    }

    private func producer() async throws(SwitchyardError) -> Producer {
        let task = producer.withLock { task in
            if let task { return task }
            let made = Task { [backend, logger] in try await backend.makeProducer(logger: logger) }
            task = made
            return made
        }
        do {
            return try await task.value
        } catch {
            producer.withLock { current in
                if current == task { current = nil }
            }
            throw error as? SwitchyardError
                ?? SwitchyardError(.internalError, "making the gateway's producer failed: \(error)", underlyingError: error)
        }
    }

    /// Closes the producer, if one was made, after its sends have their outcomes.
    func close() async {
        guard let task = producer.withLock({ $0 }), let producer = try? await task.value else { return }
        do {
            try await producer.close()
        } catch {
            logger.warning("closing the gateway's producer failed: \(error)")
        }
    }
}

/// The standard `grpc.health.v1.Health` service: `SERVING` for the whole server (`""`) and for
/// `switchyard.v1.Gateway` until shutdown begins, then `NOT_SERVING`.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let shutdown: OneShotSignal
    static let services: Set<String> = ["", "switchyard.v1.Gateway"]

    func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "no service named '\(request.service)' here")
        }
        return status
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        guard Self.services.contains(request.service) else {
            var unknown = Grpc_Health_V1_HealthCheckResponse()
            unknown.status = .serviceUnknown
            try await response.write(unknown)
            return
        }
        try await response.write(status)
        guard !shutdown.hasFired else { return }
        do {
            try await runStream(until: shutdown) { [shutdown] in await shutdown.wait() }
        } catch let error as RPCError where error.code == .unavailable {
            // Shutdown began: the watcher hears NOT_SERVING below.
        }
        try await response.write(status)
    }

    private var status: Grpc_Health_V1_HealthCheckResponse {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = shutdown.hasFired ? .notServing : .serving
        return response
    }
}
