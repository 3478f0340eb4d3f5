import Foundation
import SwitchyardGateway
import SwitchyardTestSupport
import Testing

/// `switchyard gateway` as its own process, on Kafka (a `switchyard kafka-mock` cluster in a third
/// process, which holds the topic's log), so that the gateway's resident memory can be read alone.
@Suite(.serialized)
struct GatewayMemoryTests {
    /// The bound this test holds the gateway to while 200,000 messages of 1 KiB (about 200 MiB) are
    /// published (by `switchyard produce`, straight to the cluster) past two clients that do not read and
    /// one that reads every message: its replay window (10,000 messages), the queues of
    /// the two subscriptions (1,024 each), and the process's own working set.
    static let residentBoundMiB = 160

    @Test func stalledClientsNeitherGrowTheGatewayNorHoldBackAClientThatReads() async throws {
        let cluster = try ChildProcess(try ChildProcess.switchyardExecutable(), ["kafka-mock", "--brokers", "1", "--topic", "flood:1"])
        let servers = try #require(try await cluster.nextLines(1, within: .seconds(60)).first)
        let gateway = try ChildProcess(
            try ChildProcess.switchyardExecutable(),
            ["gateway", "--listen", "127.0.0.1:0", "--topic", "flood", "--queue-capacity", "1024", "--backend", "kafka", "--set", "kafka.bootstrapServers=\(servers)"]
        )
        let listening = try #require(try await gateway.nextLines(1, within: .seconds(60)).first)
        #expect(listening.hasPrefix("listening on 127.0.0.1:"))
        let address = try GatewayAddress(parsing: String(listening.dropFirst("listening on ".count)))
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-memory-go-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: go) }
        let every = try ChildProcess("/usr/bin/env", ["python3"] + GatewayPeer.arguments("slow", address, ["every", go]))
        let conflated = try ChildProcess("/usr/bin/env", ["python3"] + GatewayPeer.arguments("slow", address, ["conflated", go]))
        #expect(try await every.nextLines(1, within: .seconds(60)) == ["ready"])
        #expect(try await conflated.nextLines(1, within: .seconds(60)) == ["ready"])
        let steady = try ChildProcess("/usr/bin/env", ["python3"] + GatewayPeer.arguments("steady_reader", address, []))
        #expect(try await steady.nextLines(1, within: .seconds(60)) == ["ready"])

        let pid = gateway.processIdentifier
        let sampler = Task {
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, Self.residentKiB(of: pid))
                try? await Task.sleep(for: .milliseconds(50))
            }
            return peak
        }
        let kafka = ["--backend", "kafka", "--set", "kafka.bootstrapServers=\(servers)"]
        // The gateway's consumer is assigned the topic seconds after it starts (the mock's group join),
        // and a gateway on a cluster it does not own starts at the log's end when it is assigned. So
        // the flood waits until a warm-up message has come through to the reading client.
        let switchyard = try ChildProcess.switchyardExecutable()
        let warmer = Task {
            while !Task.isCancelled {
                _ = try? await ChildProcess.run(switchyard, ["produce", "--topic", "flood", "--key", "WARM"] + kafka, input: "w\n")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        let warm = try await steady.nextLines(1, within: .seconds(60))
        warmer.cancel()
        await warmer.value
        #expect(warm == ["warm"], "a warm-up message never reached the reading client")
        let flood = try await ChildProcess.run(
            try ChildProcess.switchyardExecutable(),
            ["produce", "--topic", "flood", "--key", "BTC-USD", "--count", "200000", "--size", "1024"] + kafka,
            within: .seconds(300)
        )
        let end = try await ChildProcess.run(
            try ChildProcess.switchyardExecutable(),
            ["produce", "--topic", "flood", "--key", "END"] + kafka,
            input: "end\n",
            within: .seconds(60)
        )
        #expect(flood.termination.succeeded, "\(flood.errors)")
        #expect(end.termination.succeeded, "\(end.errors)")
        try await Task.sleep(for: .seconds(2))
        sampler.cancel()
        let peakMiB = await sampler.value / 1024

        let steadyResult = try GatewayPeer.decode(try await steady.remainingLines(within: .seconds(120)).last ?? "", scenario: "steady_reader", errors: "")
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let everyResult = try GatewayPeer.decode(try await every.remainingLines(within: .seconds(120)).last ?? "", scenario: "slow", errors: "")
        let conflatedResult = try GatewayPeer.decode(try await conflated.remainingLines(within: .seconds(120)).last ?? "", scenario: "slow", errors: "")
        gateway.send(SIGTERM)
        let ended = try await gateway.termination(within: .seconds(30))

        print("gateway peak RSS \(peakMiB) MiB while 200,000 x 1 KiB were published past two stalled clients")
        print("a client reading beside them: \(steadyResult)")
        #expect(peakMiB < Self.residentBoundMiB, "peak resident memory \(peakMiB) MiB")
        #expect(everyResult["status"] as? String == "RESOURCE_EXHAUSTED")
        #expect(conflatedResult["status"] as? String == "OK", "\(conflatedResult)")
        #expect((conflatedResult["conflated"] as? Int ?? 0) > 0)
        #expect(steadyResult["status"] as? String == "OK", "\(steadyResult)")
        #expect(steadyResult["received"] as? Int == 200_001, "\(steadyResult)")
        // Here its p99 is tens of milliseconds; a reader held behind the stalled ones would wait for
        // much of the flood, which lasts tens of seconds.
        #expect((steadyResult["p99Ms"] as? Double ?? .infinity) < 1000, "\(steadyResult)")
        #expect(ended.succeeded, "SIGTERM is a graceful shutdown: \(ended)")
        cluster.send(SIGTERM)
        _ = try await cluster.termination(within: .seconds(30))
    }

    private static func residentKiB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
