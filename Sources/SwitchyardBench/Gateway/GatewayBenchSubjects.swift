import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Switchyard
import SwitchyardGateway

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What one run of one subject measured.
package struct GatewayBenchRow: Codable, Sendable {
    /// Messages received by all subscribers together per second, from the first publish to the last
    /// delivery.
    package var delivered: Double
    /// Publish-to-client latency, in milliseconds.
    package var p50Ms: Double
    package var p99Ms: Double
    /// The whole process's peak resident memory during the run: server, publisher and clients.
    package var peakResidentMiB: Double
    /// Messages received by all subscribers together.
    package var deliveries: Int
    /// Messages owed to a subscriber that it did not receive.
    package var lost: Int
    /// How the streams that failed were ended, at most a few.
    package var failures: [String]

    /// The median of each figure over several runs; counts are summed.
    static func median(of rows: [GatewayBenchRow]) -> GatewayBenchRow {
        GatewayBenchRow(
            delivered: BenchMath.median(rows.map(\.delivered)),
            p50Ms: BenchMath.median(rows.map(\.p50Ms)),
            p99Ms: BenchMath.median(rows.map(\.p99Ms)),
            peakResidentMiB: BenchMath.median(rows.map(\.peakResidentMiB)),
            deliveries: rows.reduce(0) { $0 + $1.deliveries },
            lost: rows.reduce(0) { $0 + $1.lost },
            failures: Array(rows.flatMap(\.failures).prefix(5))
        )
    }
}

/// The gateway under test: a ``GatewayServer`` on the configured backend, fed by a core producer.
struct GatewayBenchGateway {
    let backend: any MessagingBackend
    let partitions: Int
    /// Sends awaiting the backend's acknowledgement at once, so that on a broker the publisher is not
    /// held to one round trip per step.
    let sendsInFlight: Int
    let logger: Logger

    /// The subscriber queue the gateway gets: its default, or room for everything one subscriber is
    /// owed, whichever is larger, so that every-message streams are measured rather than ended.
    static func queueCapacity(for scenario: GatewayBenchScenario) -> Int {
        max(GatewayLimits().subscriberQueueCapacity, (0..<scenario.subscribers).map(scenario.owed(toSubscriber:)).max() ?? 0)
    }

    func measure(_ scenario: GatewayBenchScenario, topic: String, limit: Duration) async throws -> GatewayBenchRow {
        try await backend.ensureTopic(TopicSpec(name: topic, partitions: partitions))
        let payload = [UInt8](repeating: UInt8(ascii: "p"), count: scenario.size)
        let messages = (0..<scenario.messages).map { Message(key: scenario.symbol($0 % scenario.symbols), payload: payload) }
        ProcessMemory.resetPeak()
        var limits = GatewayLimits()
        limits.subscriberQueueCapacity = Self.queueCapacity(for: scenario)
        limits.maxStreamsPerConnection = max(limits.maxStreamsPerConnection, scenario.subscribers)
        let server = try GatewayServer(
            backend: backend,
            configuration: GatewayConfiguration(listen: GatewayAddress(host: "127.0.0.1", port: 0), limits: limits, topics: [topic]),
            logger: logger
        )
        let serving = Task { try await server.run() }
        let producer = try await backend.makeProducer()
        do {
            let address = try await server.listeningAddress
            try await Self.warmUp(topic: topic, address: address, producer: producer, limit: limit)
            let subscribers = GatewayBenchSubscribers(scenario: scenario, topic: topic, address: address, limit: limit)
            let (outcome, published) = try await subscribers.run {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    var inFlight = 0
                    try await GatewayBenchPublishing.publish(scenario) { range in
                        let now = WallClock.nowMicroseconds()
                        var batch = Array(messages[range])
                        for index in batch.indices { batch[index].publishedAt = now }
                        // One at a time, the send is made here: a child task per send halved the
                        // in-memory gateway's measured rate, by how it shares the two cores.
                        guard sendsInFlight > 1 else {
                            try await Self.send(batch, to: topic, with: producer)
                            return
                        }
                        if inFlight == sendsInFlight {
                            try await sends.next()
                            inFlight -= 1
                        }
                        sends.addTask { try await Self.send(batch, to: topic, with: producer) }
                        inFlight += 1
                    }
                    try await sends.waitForAll()
                }
            }
            let row = outcome.row(published: published, owed: scenario.owedDeliveries, peakResidentMiB: ProcessMemory.peakResidentMiB)
            try await producer.close()
            server.beginShutdown()
            try await serving.value
            return row
        } catch {
            try? await producer.close()
            server.beginShutdown()
            _ = try? await serving.value
            throw error
        }
    }
}

extension GatewayBenchGateway {
    private static func send(_ batch: [Message], to topic: String, with producer: Producer) async throws {
        if batch.count == 1 {
            try await producer.send(batch[0], to: topic)
        } else {
            try await producer.send(batch, to: topic)
        }
    }

    /// A key no bench subscriber asks for.
    static let warmUpKey = Array("bench-warm-up".utf8)

    /// Returns once a message sent to the backend has come out of the gateway, sending one every
    /// 100 ms until then: a Kafka consumer is assigned its partitions seconds after it starts, and a
    /// run that began before would measure that wait instead of the gateway.
    static func warmUp(topic: String, address: GatewayAddress, producer: Producer, limit: Duration) async throws {
        let request = Switchyard_V1_SubscribeRequest.with { request in
            request.topic = topic
            request.keys = [Data(warmUpKey)]
            request.mode = .everyMessage
        }
        try await BenchDeadline.run(seconds: limit.inSeconds, phase: "warming up the gateway's consumer of \(topic)") {
            try await withGRPCClient(
                transport: .http2NIOPosix(target: .ipv4(address: address.host, port: address.port), transportSecurity: .plaintext)
            ) { grpc in
                try await Switchyard_V1_Gateway.Client(wrapping: grpc).subscribe(request: ClientRequest(message: request)) { response in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await producer.send(Message(key: warmUpKey, payload: []), to: topic)
                                try await Task.sleep(for: .milliseconds(100))
                            }
                        }
                        for try await event in response.messages {
                            if case .batch = event.event { break }
                        }
                        group.cancelAll()
                    }
                }
            }
        }
    }
}

/// How both subjects publish: at the scenario's rate, every message due so far in one step; unpaced,
/// a fixed number per step, as fast as the subject takes them.
enum GatewayBenchPublishing {
    /// Messages per step when unpaced.
    static let unpacedStep = 100

    static func publish(_ scenario: GatewayBenchScenario, _ hand: (Range<Int>) async throws -> Void) async throws {
        if let rate = scenario.rate {
            try await BenchPacer(messagesPerSecond: rate).pace(scenario.messages, hand)
        } else {
            for start in stride(from: 0, to: scenario.messages, by: unpacedStep) {
                try await hand(start..<min(scenario.messages, start + unpacedStep))
            }
        }
    }
}

/// The process's resident memory, from Linux's `/proc/self`.
enum ProcessMemory {
    /// Resets the peak to the current resident size, so the next ``peakResidentMiB`` covers only what
    /// ran since. Where `/proc/self/clear_refs` cannot be written, the peak keeps covering the whole
    /// process.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The peak resident memory (`VmHWM`) in MiB; 0 where `/proc/self/status` cannot be read.
    static var peakResidentMiB: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kibibytes / 1024
    }
}
