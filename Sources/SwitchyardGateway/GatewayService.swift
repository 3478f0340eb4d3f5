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
                for try await item in request.messages {
                    if let scope, !scope.allows(item.topic) {
                        throw RPCError(code: .permissionDenied, message: "this token is not allowed topic '\(item.topic)'")
                    }
                    try await writer.write(await publisher.publish(item))
                }
            }
            return [:]
        }
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
    private let logger: Logger
    private let producer = LockedValue<Task<Producer, any Error>?>(nil)

    init(backend: any MessagingBackend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    /// Sends the request's message and answers with its id once the backend's send returned, or with
    /// the error's code and text.
    func publish(_ request: Switchyard_V1_PublishRequest) async -> Switchyard_V1_PublishResponse {
        var response = Switchyard_V1_PublishResponse()
        response.id = request.message.id
        do throws(SwitchyardError) {
            let message = try Switchyard.Message(publishing: request)
            response.id = message.id
            _ = try await producer().send(message, to: request.topic)
        } catch {
            response.errorCode = error.code.description
            response.errorMessage = error.message
        }
        return response
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
