import Foundation
import Switchyard
import SwitchyardGateway
import SwitchyardTestSupport
import Testing

/// The gateway on the in-memory backend, driven by grpcio, the Python gRPC client.
@Suite(.serialized)
struct GatewayTests {
    @Test func tokensNeverAppearInDescriptionsOrParseErrors() throws {
        let tokens = try AccessTokens(parsing: "s3cr3t-one=prices,orders;s3cr3t-two=*")
        #expect(tokens.description == "2 token(s)")
        #expect(throws: SwitchyardError.self) { try AccessTokens(parsing: "s3cr3t-three") }
        do {
            _ = try AccessTokens(parsing: "s3cr3t-three")
        } catch {
            #expect(!error.message.contains("s3cr3t"))
        }
    }

    @Test func aSessionSnapshotIsSentWithinTheCreditGranted() async throws {
        let gateway = try await RunningGateway.start()
        try await gateway.backend.ensureTopic(TopicSpec(name: "board2"))
        let result = try await GatewayPeer.run("snapshot_credit", gateway.address)
        try await gateway.stop()

        #expect((result["first"] as? [String])?.count == 1)
        #expect(result["all"] as? [String] == ["a-price", "b-price", "c-price"])
        #expect(result["snapshot"] as? Bool == true)
    }

    @Test(arguments: ["every", "conflated"])
    func aClientThatStopsReadingIsEndedOrConflatedAndTheGatewayStaysBounded(mode: String) async throws {
        let gateway = try await RunningGateway.start { configuration in
            configuration.limits.subscriberQueueCapacity = 256
        }
        try await gateway.backend.ensureTopic(TopicSpec(name: "flood"))
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-go-\(UUID())").path
        let peer = try ChildProcess(
            "/usr/bin/env",
            ["python3"] + GatewayPeer.arguments("slow", gateway.address, [mode, go]),
            environment: GatewayPeer.environment(token: nil, ca: nil)
        )
        #expect(try await peer.nextLines(1, within: .seconds(60)) == ["ready"])
        let producer = try await gateway.backend.makeProducer()
        let payload = [UInt8](repeating: 0x61, count: 1000)
        for round in 0..<40 {
            let batch = (0..<500).map { index in Message(key: Array("key-\(index % 10)".utf8), payload: payload + Array("\(round)".utf8)) }
            _ = try await producer.send(batch, to: "flood")
        }
        _ = try await producer.send(Message(key: "END", payload: "end"), to: "flood")
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let lines = try await peer.remainingLines(within: .seconds(90))
        #expect(try await peer.termination(within: .seconds(10)).succeeded)
        try? FileManager.default.removeItem(atPath: go)
        try await producer.close()
        try await gateway.stop()

        let result = try GatewayPeer.decode(lines.last ?? "", scenario: "slow", errors: "")
        let received = try #require(result["received"] as? Int)
        #expect(received < 20_001, "the gateway must not have buffered every message for the slow client")
        if mode == "every" {
            #expect(result["status"] as? String == "RESOURCE_EXHAUSTED")
        } else {
            #expect(result["status"] as? String == "OK")
            #expect((result["conflated"] as? Int ?? 0) > 0)
            let last = try #require(result["last"] as? [String: String])
            #expect(last["key-9"]?.hasSuffix("39") == true, "the latest price of every key arrives")
        }
    }

    @Test func healthIsServingUntilShutdown() async throws {
        let gateway = try await RunningGateway.start()
        let result = try await GatewayPeer.run("health", gateway.address)
        try await gateway.stop()
        #expect(result["status"] as? String == "SERVING")
        #expect(result["unknown"] as? String == "NOT_FOUND")
    }

    @Test func tlsWithTheRightCAWorksAndAWrongCAIsRefused() async throws {
        let directory = try await makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let gateway = try await RunningGateway.start { configuration in
            configuration.listen = GatewayAddress(host: "127.0.0.1", port: 0)
            configuration.tls = GatewayTLS(certificateChainPath: "\(directory)/server.pem", privateKeyPath: "\(directory)/server.key")
        }
        try await gateway.backend.ensureTopic(TopicSpec(name: "prices"))
        let address = GatewayAddress(host: "localhost", port: gateway.address.port)
        let trusted = try await GatewayPeer.run("tls", address, ca: "\(directory)/ca.pem")
        let untrusted = try await GatewayPeer.run("tls", address, ca: "\(directory)/other-ca.pem")
        try await gateway.stop()
        #expect(trusted["subscribe"] as? String == "OK")
        #expect(untrusted["subscribe"] as? String == "UNAVAILABLE")
    }

    @Test func mutualTLSAcceptsAClientCertificateFromTheClientCAAndRefusesNone() async throws {
        let directory = try await makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let gateway = try await RunningGateway.start { configuration in
            configuration.tls = GatewayTLS(
                certificateChainPath: "\(directory)/server.pem",
                privateKeyPath: "\(directory)/server.key",
                clientCAPath: "\(directory)/ca.pem"
            )
        }
        try await gateway.backend.ensureTopic(TopicSpec(name: "prices"))
        let address = GatewayAddress(host: "localhost", port: gateway.address.port)
        let withCertificate = try await GatewayPeer.run(
            "tls", address, ca: "\(directory)/ca.pem", clientCertificate: ("\(directory)/client.pem", "\(directory)/client.key")
        )
        let withOtherCertificate = try await GatewayPeer.run(
            "tls", address, ca: "\(directory)/ca.pem", clientCertificate: ("\(directory)/other-client.pem", "\(directory)/other-client.key")
        )
        let withoutCertificate = try await GatewayPeer.run("tls", address, ca: "\(directory)/ca.pem")
        try await gateway.stop()
        #expect(withCertificate["subscribe"] as? String == "OK")
        #expect(withOtherCertificate["subscribe"] as? String == "UNAVAILABLE")
        #expect(withoutCertificate["subscribe"] as? String == "UNAVAILABLE")
    }

    @Test func aPortInUseIsAClearError() async throws {
        let first = try await RunningGateway.start()
        let second = try GatewayServer(
            backend: first.backend,
            configuration: GatewayConfiguration(listen: first.address),
            logger: .init(label: "second")
        )
        await #expect {
            try await second.run()
        } throws: { error in
            (error as? SwitchyardError)?.message.contains("cannot listen on \(first.address)") == true
        }
        try await first.stop()
    }

    /// A CA, a server certificate for localhost and a client certificate signed by it, and an unrelated
    /// second CA with a client certificate of its own, made by openssl.
    /// - Returns: the new directory that holds them; the caller removes it.
    private func makeCertificates() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other-ca.key -out other-ca.pem 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj /CN=board-client -keyout client.key -out client.csr 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj /CN=stranger -keyout other-client.key -out other-client.csr 2>/dev/null
            openssl x509 -req -in other-client.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -days 2 -out other-client.pem 2>/dev/null
            """
        let finished = try await ChildProcess.run("/bin/sh", ["-c", script], within: .seconds(60))
        try #require(finished.termination.succeeded, "openssl: \(finished.errors)")
        return directory
    }
}

/// The gateway's grpcio scenarios on each backend.
@Suite(.serialized)
struct GatewayOnEveryBackendTests {
    @Test(arguments: GatewayTestBackend.allCases)
    func aKeyedSubscriptionGetsExactlyItsKeyInOrderAndEveryPublishAckIsConsumable(on kind: GatewayTestBackend) async throws {
        try await kind.run { backend in
            try await backend.ensureTopic(TopicSpec(name: "prices", partitions: 3))
            // The plain consumer's group exists before anything is published: RabbitMQ, which cannot
            // replay, keeps messages only for the queues bound when they arrive.
            let start: StartPosition = backend.capabilities.contains(.replay) ? .earliest : .committed
            let consumer = try await backend.makeConsumer(topic: "prices", options: ConsumerOptions(startPosition: start))
            let gateway = try await RunningGateway.start(backend: backend)
            let result = try await GatewayPeer.run("filtered", gateway.address)
            try await gateway.stop()

            #expect(result["received"] as? [String] == stride(from: 0, to: 21, by: 3).map { "BTC-USD:\($0)" })
            #expect(result["errors"] as? [String] == [])
            let acked = try #require(result["acks"] as? [String])
            #expect(acked.count == 21)
            var consumed: [String] = []
            while consumed.count < acked.count {
                let batch = try await consumer.receive(max: 100, timeout: .seconds(15))
                if batch.isEmpty { break }
                consumed += batch.map(\.message.id)
                try await consumer.ack(batch)
            }
            try await consumer.close()
            #expect(Set(consumed) == Set(acked), "every message the gateway acked is consumed")
        }
    }

    @Test(arguments: GatewayTestBackend.allCases)
    func everyPublishIsAnsweredInOrderAndATooLargeOneFailsAlone(on kind: GatewayTestBackend) async throws {
        try await kind.run { backend in
            try await backend.ensureTopic(TopicSpec(name: "outcomes", partitions: 1))
            let gateway = try await RunningGateway.start(backend: backend)
            let result = try await GatewayPeer.run("publish_outcomes", gateway.address, ["\(GatewayTestBackend.maxMessageBytes + 1)"])
            try await gateway.stop()

            let codes = try #require(result["codes"] as? [String])
            #expect(codes.count == 300)
            #expect(codes.enumerated().filter { $0.element != "" }.map(\.offset) == [150])
            #expect(codes.count > 150 && codes[150] == "messageTooLarge")
            #expect(result["received"] as? [String] == (0..<300).filter { $0 != 150 }.map(String.init), "the others arrive once each, in order")
        }
    }

    @Test(arguments: GatewayTestBackend.allCases)
    func tokensAreCheckedAndScopedToTopics(on kind: GatewayTestBackend) async throws {
        try await kind.run { backend in
            try await backend.ensureTopic(TopicSpec(name: "quotes"))
            try await backend.ensureTopic(TopicSpec(name: "orders"))
            let gateway = try await RunningGateway.start(backend: backend) { configuration in
                configuration.accessTokens = AccessTokens(["reader-token": ["quotes"], "all-token": ["*"]])
            }
            let missing = try await GatewayPeer.run("authorization", gateway.address, ["quotes"])
            let wrong = try await GatewayPeer.run("authorization", gateway.address, ["quotes"], token: "not-a-token")
            let outOfScope = try await GatewayPeer.run("authorization", gateway.address, ["orders"], token: "reader-token")
            let allowed = try await GatewayPeer.run("authorization", gateway.address, ["quotes"], token: "reader-token")
            let wildcard = try await GatewayPeer.run("authorization", gateway.address, ["orders"], token: "all-token")
            try await gateway.stop()

            #expect(missing["subscribe"] as? String == "UNAUTHENTICATED")
            #expect(missing["publish"] as? String == "UNAUTHENTICATED")
            #expect(wrong["subscribe"] as? String == "UNAUTHENTICATED")
            #expect(outOfScope["subscribe"] as? String == "PERMISSION_DENIED")
            #expect(outOfScope["publish"] as? String == "PERMISSION_DENIED")
            #expect(allowed["subscribe"] as? String == "OK")
            #expect(allowed["publish"] as? String == "OK")
            #expect(wildcard["subscribe"] as? String == "OK")
        }
    }

    @Test(arguments: GatewayTestBackend.allCases)
    func aResumedSubscriptionContinuesWithNoGapAndNoDuplicate(on kind: GatewayTestBackend) async throws {
        try await kind.run { backend in
            try await backend.ensureTopic(TopicSpec(name: "ticks"))
            let gateway = try await RunningGateway.start(backend: backend) { $0.topics = ["ticks"] }
            let result = try await GatewayPeer.run("resume", gateway.address)
            try await gateway.stop()

            #expect(result["first"] as? [String] == (0..<5).map { "p\($0)" })
            #expect(result["recovery"] as? String == "RECOVERY_RECOVERED")
            #expect(result["second"] as? [String] == (5..<10).map { "p\($0)" })
            #expect(result["foreignRecovery"] as? String == "RECOVERY_GAP_NOT_RECOVERED")
            #expect((result["foreignDetail"] as? String)?.contains("another gateway process") == true)
            #expect(result["aheadRecovery"] as? String == "RECOVERY_GAP_NOT_RECOVERED")
        }
    }

    @Test(arguments: GatewayTestBackend.allCases)
    func aSessionSendsNoMoreThanItsCreditAndHonoursAcksAndUnsubscribe(on kind: GatewayTestBackend) async throws {
        try await kind.run { backend in
            try await backend.ensureTopic(TopicSpec(name: "board"))
            let gateway = try await RunningGateway.start(backend: backend)
            let result = try await GatewayPeer.run("session", gateway.address)
            try await gateway.stop()

            #expect(result["subscriptionId"] as? String == "s1")
            #expect(result["beforeCredit"] as? Int == 0)
            let firstWindow = try #require(result["firstWindow"] as? [[Any]])
            #expect(firstWindow.map { $0[0] as? Int } == [1, 2])
            #expect(firstWindow.map { $0[1] as? String } == ["m0", "m1"])
            let afterAck = try #require(result["afterAck"] as? [[Any]])
            #expect(afterAck.map { $0[1] as? String } == ["m2", "m3"])
            #expect(result["afterUnsubscribe"] as? Int == 0)
            let results = try #require(result["results"] as? [String: String])
            #expect(results["2"] == "OK")
            #expect(results["3"] == "OK")
            #expect(results["4"] == "INVALID_ARGUMENT")
            #expect(results["5"] == "OK")
            #expect(results["7"] == "NOT_FOUND")
        }
    }
}

extension GatewayTests {
    @Test func streamsPerConnectionSubscriptionsPerSessionAndPayloadSizeAreLimited() async throws {
        let gateway = try await RunningGateway.start {
            $0.limits.maxStreamsPerConnection = 2
            $0.limits.maxSubscriptionsPerSession = 1
            $0.limits.maxRequestBytes = 4096
        }
        try await gateway.backend.ensureTopic(TopicSpec(name: "limits"))
        let result = try await GatewayPeer.run("limits", gateway.address, ["4096", "\(GatewayLimits.requestEnvelopeBytes)"])
        try await gateway.stop()

        #expect(result["thirdStreamHeld"] as? Bool == true, "a third stream on the connection must wait")
        #expect(result["thirdStreamAdmitted"] as? Bool == true, "it starts once another stream ends")
        #expect(result["sessionResults"] as? [String: String] == ["1": "OK", "2": "RESOURCE_EXHAUSTED"])
        #expect(result["publishCodes"] as? [String] == ["OK", "messageTooLarge", "OK"], "a payload over the limit fails alone")
        #expect(result["hugeRequest"] as? String == "CANCELLED", "the transport resets a stream whose request is beyond the envelope")
    }

    @Test func shutdownDoesNotWaitForAClientThatStoppedReading() async throws {
        let gateway = try await RunningGateway.start()
        try await gateway.backend.ensureTopic(TopicSpec(name: "flood"))
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-go-\(UUID())").path
        let peer = try ChildProcess(
            "/usr/bin/env",
            ["python3"] + GatewayPeer.arguments("slow", gateway.address, ["conflated", go]),
            environment: GatewayPeer.environment(token: nil, ca: nil)
        )
        #expect(try await peer.nextLines(1, within: .seconds(60)) == ["ready"])
        let producer = try await gateway.backend.makeProducer()
        let payload = [UInt8](repeating: 0x62, count: 1000)
        for round in 0..<40 {
            let batch = (0..<500).map { index in Message(key: Array("key-\(round)-\(index)".utf8), payload: payload) }
            _ = try await producer.send(batch, to: "flood")
        }
        try await producer.close()
        try await gateway.stop()
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let lines = try await peer.remainingLines(within: .seconds(60))
        _ = try await peer.termination(within: .seconds(10))
        try? FileManager.default.removeItem(atPath: go)
        let result = try GatewayPeer.decode(lines.last ?? "", scenario: "slow", errors: "")
        #expect(["UNAVAILABLE", "RESOURCE_EXHAUSTED"].contains(result["status"] as? String ?? ""))
    }
}
