import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Histogram
import Switchyard
import SwitchyardGateway
import SwitchyardLatency

/// The end users of one bench run, the same for the gateway and for the bare baseline: one HTTP/2
/// connection per subscriber, each calling `Subscribe` for its symbols in every-message mode.
///
/// Latency is each message's `published_at` (stamped by the publisher just before it hands the message
/// on) to the moment its response batch is read; both ends are in this process, on the same clock.
struct GatewayBenchSubscribers {
    /// What the subscribers received in one run.
    struct Outcome: Sendable {
        var deliveries = 0
        var lastDelivery: ContinuousClock.Instant?
        var latency = Histogram<UInt64>.latencyMicroseconds()
        /// How each subscriber whose stream failed was told, at most a few.
        var failures: [String] = []
    }

    let scenario: GatewayBenchScenario
    let topic: String
    let address: GatewayAddress
    /// How long a subscriber waits for all it is owed, from the moment it connects.
    let limit: Duration

    /// Connects every subscriber, runs `publish` once all streams have started, and returns what they
    /// received once each has all it is owed, or its stream failed, or `limit` passed.
    ///
    /// - Returns: The outcome, and when `publish` began.
    func run(publish: @escaping @Sendable () async throws -> Void) async throws -> (Outcome, published: ContinuousClock.Instant) {
        let outcome = LockedValue(Outcome())
        let (started, starting) = AsyncStream.makeStream(of: Bool.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<scenario.subscribers {
                group.addTask { await subscribe(index, outcome: outcome, started: starting) }
            }
            let ready = try await BenchDeadline.run(seconds: limit.inSeconds, phase: "starting \(scenario.subscribers) subscriptions") {
                var ready = 0
                for await streaming in started {
                    guard streaming else { return false }
                    ready += 1
                    if ready == scenario.subscribers { return true }
                }
                return false
            }
            guard ready else {
                group.cancelAll()
                let failures = outcome.withLock { $0.failures }
                throw SwitchyardError(.brokerUnavailable, "A bench subscriber could not start its stream: \(failures.first ?? "no reason given").")
            }
            let published = ContinuousClock.now
            try await publish()
            try await group.waitForAll()
            return (outcome.withLock { $0 }, published)
        }
    }

    /// One subscriber: streams until it has what it is owed, its stream fails, or `limit` passes.
    private func subscribe(_ index: Int, outcome: LockedValue<Outcome>, started: AsyncStream<Bool>.Continuation) async {
        let owed = scenario.owed(toSubscriber: index)
        let request = Switchyard_V1_SubscribeRequest.with { request in
            request.topic = topic
            request.keys = scenario.symbols(ofSubscriber: index).map { Data(scenario.symbol($0)) }
            request.mode = .everyMessage
            request.start = .latest
        }
        let streaming = LockedValue(false)
        do {
            _ = try await BenchDeadline.run(seconds: limit.inSeconds, phase: "subscriber \(index) receiving its \(owed) messages") { [address] in
                try await withGRPCClient(
                    transport: .http2NIOPosix(target: .ipv4(address: address.host, port: address.port), transportSecurity: .plaintext)
                ) { grpc in
                    try await Switchyard_V1_Gateway.Client(wrapping: grpc).subscribe(request: ClientRequest(message: request)) { response in
                        var received = 0
                        var latencies: [Int64] = []
                        for try await event in response.messages {
                            switch event.event {
                            case .started:
                                streaming.withLock { $0 = true }
                                started.yield(true)
                            case .batch(let batch):
                                let now = WallClock.nowMicroseconds()
                                let arrived = ContinuousClock.now
                                latencies.removeAll(keepingCapacity: true)
                                for message in batch.messages {
                                    latencies.append(now - (message.publishedAt.seconds * 1_000_000 + Int64(message.publishedAt.nanos / 1000)))
                                }
                                received += batch.messages.count
                                outcome.withLock { outcome in
                                    outcome.deliveries += latencies.count
                                    outcome.lastDelivery = max(outcome.lastDelivery ?? arrived, arrived)
                                    for latency in latencies { outcome.latency.recordLatency(microseconds: latency) }
                                }
                            case nil:
                                break
                            }
                            if received >= owed { return }
                        }
                    }
                }
            }
        } catch {
            outcome.withLock { outcome in
                if outcome.failures.count < 5 { outcome.failures.append("subscriber \(index): \(error)") }
            }
            if !streaming.withLock({ $0 }) { started.yield(false) }
        }
    }
}

extension GatewayBenchSubscribers.Outcome {
    /// The run's row: deliveries per second from the first publish to the last delivery.
    func row(published: ContinuousClock.Instant, owed: Int, peakResidentMiB: Double) -> GatewayBenchRow {
        GatewayBenchRow(
            delivered: lastDelivery.map { BenchMath.rate(deliveries, $0 - published) } ?? 0,
            p50Ms: latency.milliseconds(atPercentile: 50),
            p99Ms: latency.milliseconds(atPercentile: 99),
            peakResidentMiB: peakResidentMiB,
            deliveries: deliveries,
            lost: max(0, owed - deliveries),
            failures: failures
        )
    }
}
