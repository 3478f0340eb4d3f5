import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf
import Switchyard
import SwitchyardGateway

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The baseline: a bare grpc-swift server on the same port type and protocol as the gateway, streaming
/// the same messages, built before the run, from memory to the same subscribers.
///
/// It has none of the gateway's work: no backend, no conversion from core messages, no positions, no
/// bounded queues, no tokens. Each subscription has an unbounded outbox per stream; the publisher
/// stamps a message's `published_at` and appends it to the outbox of every subscriber of its symbol,
/// and the stream writes what its outbox holds, up to the gateway's batch size per response.
struct GatewayBenchBaseline {
    func measure(_ scenario: GatewayBenchScenario, limit: Duration) async throws -> GatewayBenchRow {
        let payload = Data(repeating: UInt8(ascii: "p"), count: scenario.size)
        let messages = (0..<scenario.messages).map { index in
            var message = Switchyard_V1_GatewayMessage()
            message.id = MessageID.generate()
            message.key = Data(scenario.symbol(index % scenario.symbols))
            message.payload = payload
            return message
        }
        ProcessMemory.resetPeak()
        let fanOut = BareFanOut(symbols: scenario.symbols, batchSize: GatewayLimits().maxBatchMessages)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0),
            transportSecurity: .plaintext,
            config: .defaults { $0.http2.maxConcurrentStreams = max(100, scenario.subscribers) }
        )
        let server = GRPCServer(transport: transport, services: [fanOut])
        let serving = Task { try await server.serve() }
        defer { server.beginGracefulShutdown() }
        guard let bound = try await transport.listeningAddress.ipv4 else {
            throw SwitchyardError(.internalError, "The baseline server did not bind an IPv4 address.")
        }
        let subscribers = GatewayBenchSubscribers(
            scenario: scenario, topic: "baseline", address: GatewayAddress(host: bound.host, port: bound.port), limit: limit
        )
        let (outcome, published) = try await subscribers.run {
            try await GatewayBenchPublishing.publish(scenario) { range in
                let now = WallClock.nowMicroseconds()
                let stamp = Google_Protobuf_Timestamp(seconds: now / 1_000_000, nanos: Int32(now % 1_000_000) * 1000)
                for index in range {
                    var message = messages[index]
                    message.publishedAt = stamp
                    fanOut.publish(message, symbol: index % scenario.symbols)
                }
            }
        }
        let row = outcome.row(published: published, owed: scenario.owedDeliveries, peakResidentMiB: ProcessMemory.peakResidentMiB)
        server.beginGracefulShutdown()
        try await serving.value
        return row
    }
}

/// The baseline's service: `Subscribe` only, each stream fed from an unbounded outbox.
private final class BareFanOut: Switchyard_V1_Gateway.SimpleServiceProtocol, Sendable {
    private let subscribers: LockedValue<[[BareOutbox]]>
    private let batchSize: Int

    init(symbols: Int, batchSize: Int) {
        subscribers = LockedValue(Array(repeating: [], count: symbols))
        self.batchSize = batchSize
    }

    /// Appends `message` to the outbox of every stream subscribed to `symbol`.
    func publish(_ message: Switchyard_V1_GatewayMessage, symbol: Int) {
        for outbox in subscribers.withLock({ $0[symbol] }) {
            outbox.append(message)
        }
    }

    func subscribe(
        request: Switchyard_V1_SubscribeRequest,
        response: RPCWriter<Switchyard_V1_SubscribeResponse>,
        context: ServerContext
    ) async throws {
        let outbox = BareOutbox()
        let symbols = request.keys.compactMap { key in Int(String(decoding: key.dropFirst(3), as: UTF8.self)) }
        subscribers.withLock { subscribers in
            for symbol in symbols where subscribers.indices.contains(symbol) { subscribers[symbol].append(outbox) }
        }
        var started = Switchyard_V1_SubscribeResponse()
        started.started = Switchyard_V1_SubscriptionStarted()
        try await response.write(started)
        try await withRPCCancellationHandler {
            while let messages = await outbox.take(max: batchSize) {
                var batch = Switchyard_V1_SubscribeResponse()
                batch.batch.messages = messages
                try await response.write(batch)
            }
        } onCancelRPC: {
            outbox.close()
        }
    }

    func session(
        request: RPCAsyncSequence<Switchyard_V1_SessionRequest, any Error>,
        response: RPCWriter<Switchyard_V1_SessionResponse>,
        context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "the bench baseline serves Subscribe only")
    }

    func publish(
        request: RPCAsyncSequence<Switchyard_V1_PublishRequest, any Error>,
        response: RPCWriter<Switchyard_V1_PublishResponse>,
        context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "the bench baseline serves Subscribe only")
    }
}

/// One baseline stream's unbounded queue, with the stream's writer waiting on it when it is empty.
private final class BareOutbox: Sendable {
    private struct State {
        var messages: [Switchyard_V1_GatewayMessage] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = LockedValue(State())

    func append(_ message: Switchyard_V1_GatewayMessage) {
        let waiter = state.withLock { state in
            state.messages.append(message)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Up to `max` messages, waiting while there are none; `nil` once closed.
    func take(max: Int) async -> [Switchyard_V1_GatewayMessage]? {
        while true {
            let taken: [Switchyard_V1_GatewayMessage]?? = state.withLock { state in
                if state.closed { return .some(nil) }
                guard !state.messages.isEmpty else { return nil }
                if state.messages.count <= max {
                    defer { state.messages = [] }
                    return state.messages
                }
                defer { state.messages.removeFirst(max) }
                return Array(state.messages.prefix(max))
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.closed || !state.messages.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}
