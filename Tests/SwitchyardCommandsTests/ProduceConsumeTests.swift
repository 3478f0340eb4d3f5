import ArgumentParser
import ServiceLifecycleTestKit
import Switchyard
import Testing

@testable import SwitchyardCommands
import SwitchyardBench

@Suite struct ProduceConsumeTests {
    @Test func stdinLinesRoundTripByteForByteWithKeyAndHeaders() async throws {
        let topic = uniqueTopic("roundtrip")
        let lines: [[UInt8]] = [Array("hello".utf8), [0xFF, 0xFE, 0x00, 0x41, 0x0D], [], Array("prix: 42 € — ünïcode".utf8), Array(#"{"a":"b\"c"}"#.utf8)]
        let input: [UInt8] = lines.flatMap { line -> [UInt8] in line + [0x0A] }
        let produced = TestIO(input: [Array(input[..<7]), Array(input[7...])])
        try await ProduceCommand.parse(["--topic", topic, "--key", "BTC-USD", "--header", "source=test", "--header", "trace=a=b"])
            .run(io: produced.io)
        #expect(produced.errors.text.contains("produce: 5 of 5 messages acknowledged on '\(topic)'"))

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--format", "json", "--count", "5", "--timeout", "5"]).run(io: consumed.io)
        let messages = try ConsumedJSON.lines(consumed.output.text)
        #expect(messages.map(\.payloadBytes) == lines)
        #expect(messages.map(\.payloadEncoding) == ["utf8", "base64", "utf8", "utf8", "utf8"])
        for message in messages {
            #expect(message.topic == topic)
            #expect(message.key == "BTC-USD" && message.keyEncoding == "utf8")
            #expect(message.headers == ["source": "test", "trace": "a=b"] && message.headersEncoding == "utf8")
            #expect(message.headerList == [["source", "test"], ["trace", "a=b"]])
            #expect(message.deliveryAttempt == 1)
            #expect(message.partition != nil && message.offset != nil)
            #expect(message.publishedAt != nil)
        }
        #expect(Set(messages.map(\.id)).count == 5)
        #expect(consumed.errors.text.contains("consume: 5 messages from '\(topic)'"))
    }

    @Test func consumeJSONCarriesNonUTF8KeyAndHeaderValuesAsBase64() async throws {
        let topic = uniqueTopic("binary")
        let backend = try await defaultBackend()
        let producer = try await backend.makeProducer()
        let key: [UInt8] = [0x00, 0xC3, 0x28]
        let headers = [MessageHeader(name: "bin", value: [0xFF, 0x01]), MessageHeader(name: "text", value: "plain")]
        let sent = Message(key: key, payload: [0xDE, 0xAD, 0xBE, 0xEF], headers: headers)
        try await producer.send(sent, to: topic)
        try await producer.close()

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--format", "json", "--count", "1", "--timeout", "5"]).run(io: consumed.io)
        let message = try #require(try ConsumedJSON.lines(consumed.output.text).first)
        #expect(message.id == sent.id)
        #expect(message.keyEncoding == "base64" && message.keyBytes == key)
        #expect(message.headersEncoding == "base64")
        #expect(message.headerBytes == ["bin": [0xFF, 0x01], "text": Array("plain".utf8)])
        #expect(message.payloadEncoding == "base64" && message.payloadBytes == [0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test func generatedMessagesHaveTheRequestedCountAndSize() async throws {
        let topic = uniqueTopic("generated")
        let produced = TestIO()
        try await ProduceCommand.parse(["--topic", topic, "--count", "250", "--size", "12", "--batch-size", "64"]).run(io: produced.io)
        #expect(produced.errors.text.contains("produce: 250 of 250 messages acknowledged"))

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--format", "json", "--count", "250", "--timeout", "5"]).run(io: consumed.io)
        let payloads = try ConsumedJSON.lines(consumed.output.text).compactMap(\.payloadBytes)
        #expect(payloads.count == 250)
        #expect(payloads.allSatisfy { $0.count == 12 })
        #expect(Set(payloads).count == 250)
    }

    @Test func produceExitsNonZeroAndCountsTheMessagesThatWereNotAcknowledged() async throws {
        let topic = uniqueTopic("too-large")
        let backend = try await defaultBackend()
        let oversized = [UInt8](repeating: UInt8(ascii: "z"), count: backend.limits.maxMessageBytes + 1)
        let produced = TestIO(input: [Array("first\n".utf8) + oversized + Array("\nlast\n".utf8)])
        await #expect(throws: ExitCode.self) {
            try await ProduceCommand.parse(["--topic", topic]).run(io: produced.io)
        }
        #expect(produced.errors.text.contains("produce: 2 of 3 messages acknowledged"))
        #expect(produced.errors.text.contains("1 NOT acknowledged, first error: messageTooLarge: Line 2 has \(oversized.count) bytes"))

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--count", "2", "--timeout", "5"]).run(io: consumed.io)
        let printed = consumed.output.text.split(separator: "\n")
        #expect(printed.count == 2)
        #expect(printed.first?.hasSuffix("| first") == true)
        #expect(printed.last?.hasSuffix("| last") == true)
    }

    @Test func aGroupResumesFromItsCommittedPosition() async throws {
        let topic = uniqueTopic("group")
        try await ProduceCommand.parse(["--topic", topic, "--count", "3"]).run(io: TestIO().io)

        let first = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--group", "g1", "--from", "earliest", "--count", "2", "--timeout", "5"]).run(io: first.io)
        let second = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--group", "g1", "--timeout", "0.3", "--format", "json"]).run(io: second.io)
        let rest = try ConsumedJSON.lines(second.output.text)
        #expect(first.output.text.split(separator: "\n").count == 2)
        #expect(rest.count == 1)
        #expect(rest.first?.payloadBytes.map { String(decoding: $0, as: UTF8.self).hasPrefix("2 ") } == true)
    }

    @Test func consumeTimeoutWithoutCountEndsCleanlyAndWithCountFails() async throws {
        let topic = uniqueTopic("empty")
        let idle = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--timeout", "0.2"]).run(io: idle.io)
        #expect(idle.output.text.isEmpty)
        #expect(idle.errors.text.contains("consume: 0 messages from '\(topic)'"))

        do {
            try await ConsumeCommand.parse(["--topic", topic, "--count", "1", "--timeout", "0.2"]).run(io: TestIO().io)
            Issue.record("Expected a timeout error")
        } catch let error as SwitchyardError {
            #expect(error.code == .timeout)
            #expect(error.message.hasPrefix("Received 0 of 1 messages from '\(topic)' before 0.2 s passed without a message."))
        }
    }

    @Test func textFormatPrintsOneReadableLinePerMessage() async throws {
        let topic = uniqueTopic("text")
        let produced = TestIO(input: [Array("a line\n".utf8), [0xFF, 0x0A]])
        try await ProduceCommand.parse(["--topic", topic, "--key", "k", "--header", "h=v"]).run(io: produced.io)
        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--count", "2", "--timeout", "5"]).run(io: consumed.io)
        let printed = consumed.output.text.split(separator: "\n").map(String.init)
        #expect(printed.count == 2)
        #expect(printed.allSatisfy { $0.hasPrefix(topic + " partition=") && $0.contains(" attempt=1 id=") && $0.contains(" key=k headers={h=v} | ") })
        #expect(printed.first?.hasSuffix(" | a line") == true)
        #expect(printed.last?.hasSuffix(" | base64:/w==") == true)
    }

    @Test func repeatedHeaderNamesKeepTheLastValueInHeadersAndEveryPairInHeaderList() async throws {
        let topic = uniqueTopic("repeated-headers")
        let producer = try await defaultBackend().makeProducer()
        let text = [MessageHeader(name: "a", value: "1"), MessageHeader(name: "b", value: "x"), MessageHeader(name: "a", value: "2")]
        let binary = [MessageHeader(name: "a", value: [0xFF]), MessageHeader(name: "a", value: "2")]
        try await producer.send([Message(key: nil, payload: "t", headers: text), Message(key: nil, payload: "b", headers: binary)], to: topic)
        try await producer.close()

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--format", "json", "--count", "2", "--timeout", "5"]).run(io: consumed.io)
        let messages = try ConsumedJSON.lines(consumed.output.text).sorted { $0.payload < $1.payload }
        try #require(messages.count == 2)
        let (binaryMessage, textMessage) = (messages[0], messages[1])
        #expect(textMessage.headers == ["a": "2", "b": "x"])
        #expect(textMessage.headerList == [["a", "1"], ["b", "x"], ["a", "2"]])
        #expect(binaryMessage.headersEncoding == "base64")
        #expect(binaryMessage.headerBytes == ["a": Array("2".utf8)])
        let pairs = binaryMessage.headerList.map { [$0[0]] + [ConsumedJSON.bytes($0[1], encoding: "base64").map { String(describing: $0) } ?? "?"] }
        #expect(pairs == [["a", "[255]"], ["a", "[50]"]])
    }

    @Test func textFormatKeepsEveryMessageOnOneLineWhateverItsKeyAndHeadersHold() async throws {
        let topic = uniqueTopic("text-escapes")
        let producer = try await defaultBackend().makeProducer()
        let headers = [MessageHeader(name: "multi\nname", value: "v1\r\nv2"), MessageHeader(name: "esc", value: "\u{1B}[31m")]
        try await producer.send(Message(key: "k\ney", payload: "p\nq", headers: headers), to: topic)
        try await producer.close()

        let consumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--count", "1", "--timeout", "5"]).run(io: consumed.io)
        let printed = consumed.output.text
        #expect(printed.split(separator: "\n", omittingEmptySubsequences: false).count == 2)
        #expect(printed.contains(#" key=k\ney headers={multi\nname=v1\r\nv2, esc=\u001b[31m} | p\nq"#))
    }

    @Test func aSizeAboveTheBackendLimitIsRefusedBeforeAnythingIsGenerated() async throws {
        let topic = uniqueTopic("huge-size")
        let limit = try await defaultBackend().limits.maxMessageBytes
        for size in [100_000_000_000, limit + 1] {
            let produced = TestIO()
            do {
                try await ProduceCommand.parse(["--topic", topic, "--count", "1", "--size", "\(size)"]).run(io: produced.io)
                Issue.record("Expected an error for --size \(size)")
            } catch let error as SwitchyardError {
                #expect(error.code == .messageTooLarge)
                #expect(error.message.hasPrefix("--size \(size) is more than the \(limit) payload bytes a message can have here"))
            }
        }
        let fits = TestIO()
        try await ProduceCommand.parse(["--topic", topic, "--count", "1", "--size", "\(limit)"]).run(io: fits.io)
        #expect(fits.errors.text.contains("produce: 1 of 1 messages acknowledged"))
    }

    @Test func aStopRequestEndsAnOpenEndedConsumeWithTheSummaryAndNoError() async throws {
        let topic = uniqueTopic("stop-consume")
        try await ProduceCommand.parse(["--topic", topic, "--count", "3"]).run(io: TestIO().io)
        let consumed = TestIO()
        try await testGracefulShutdown { shutdown in
            let command = try ConsumeCommand.parse(["--topic", topic, "--group", "stopper", "--from", "earliest"])
            let io = consumed.io
            let running = Task { try await command.run(io: io) }
            try await consumed.output.waitForText(within: 5) { $0.split(separator: "\n").count >= 3 }
            shutdown.triggerGracefulShutdown()
            try await value(of: running, within: 5)
        }
        #expect(consumed.errors.text.contains("consume: 3 messages from '\(topic)' (stopped early on request)"))

        try await ProduceCommand.parse(["--topic", topic, "--count", "1"]).run(io: TestIO().io)
        let resumed = TestIO()
        try await ConsumeCommand.parse(["--topic", topic, "--group", "stopper", "--timeout", "0.3", "--format", "json"]).run(io: resumed.io)
        #expect(try ConsumedJSON.lines(resumed.output.text).count == 1)
    }

    @Test func aStopRequestWhileWaitingForInputSendsWhatWasReadAndPrintsTheSummary() async throws {
        let topic = uniqueTopic("stop-produce")
        let produced = try await testGracefulShutdown { shutdown in
            let command = try ProduceCommand.parse(["--topic", topic])
            let produced = TestIO(input: StallingInput(Array("one\ntwo\n".utf8)) { shutdown.triggerGracefulShutdown() })
            let io = produced.io
            try await value(of: Task { try await command.run(io: io) }, within: 5)
            return produced
        }
        #expect(produced.errors.text.contains("produce: 2 of 2 messages acknowledged on '\(topic)'"))
        #expect(produced.errors.text.hasSuffix("(stopped early on request)\n"))
    }
}
