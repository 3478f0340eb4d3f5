import Foundation
import Switchyard
import SwitchyardInMemory
import SwitchyardTestSupport
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write sends when the secondary stalls")
struct DualWriteSecondaryStallTests {
    private let topic = TopicSpec(name: "ticks", partitions: 1)

    private func configuration(_ directory: String, timeout: Duration) -> DualWriteBackend.Configuration {
        var configuration = DualWriteTestSupport.configuration(directory)
        configuration.secondarySendTimeout = timeout
        return configuration
    }

    @Test("A send stops waiting for a hung secondary at the timeout, and later sends skip it until the spool is replayed")
    func hungSecondaryCostsOneTimeout() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secondary = DualWriteHangingSecondary()
        defer { secondary.release() }
        let dual = try await DualWriteBackend(
            primary: InMemoryBackend(), secondary: secondary, configuration: configuration(directory, timeout: .milliseconds(200))
        )
        try await dual.ensureTopic(topic)
        let producer = try await dual.makeProducer()
        try await producer.send(Message(key: nil, payload: "before"), to: topic.name)
        #expect(secondary.singleSends == 1 && dual.stats().spooled == 0, "a healthy secondary takes the copy directly")

        secondary.hang()
        let sends = 20
        let returned = LockedValue(0)
        let topicName = topic.name
        let sender = Task {
            for index in 0..<sends {
                try await producer.send(Message(key: nil, payload: "during \(index)"), to: topicName)
                returned.withLock { $0 += 1 }
            }
        }
        // Generous: the secondary never answers, so only the send's own deadline lets it return.
        try await eventually("every send returning while the secondary hangs (\(returned.withLock { $0 }) of \(sends) did)", within: .seconds(20)) {
            returned.withLock { $0 } == sends
        }
        #expect(secondary.singleSends == 2, "only the first send of the outage tried the secondary and waited for it")
        let during = dual.stats()
        #expect(during.secondaryFailures == 1)
        #expect(during.spooled == sends, "every copy of the outage is in the spool: \(during)")

        secondary.release()
        try await sender.value
        try await eventually("the spool draining once the secondary answers: \(dual.stats())") { dual.stats().spoolDepth == 0 && !dual.stats().secondaryFailing }
        try await producer.send(Message(key: nil, payload: "after"), to: topic.name)
        #expect(secondary.singleSends == 3, "with the spool replayed, copies go to the secondary directly again")
        #expect(dual.stats().spooled == sends)
        try await producer.close()
        try await dual.shutdown()
    }

    @Test("When one copy fails, the sends waiting for theirs stop waiting and spool them")
    func failedCopyReleasesTheWaitingSends() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secondary = DualWriteHangingSecondary()
        defer { secondary.release() }
        // A timeout far beyond the test's bounds: only the failed copy can release the waiting sends.
        let dual = try await DualWriteBackend(
            primary: InMemoryBackend(), secondary: secondary, configuration: configuration(directory, timeout: .seconds(600))
        )
        try await dual.ensureTopic(topic)
        let producer = try await dual.makeProducer()
        let topicName = topic.name
        let returned = LockedValue(0)

        secondary.hang()
        var waiting: [Task<Void, any Error>] = []
        for index in 0..<2 {
            waiting.append(Task {
                try await producer.send(Message(key: nil, payload: "waiting \(index)"), to: topicName)
                returned.withLock { $0 += 1 }
            })
            try await eventually("send \(index) waiting for its copy") { secondary.singleSends == index + 1 }
        }
        #expect(returned.withLock { $0 } == 0)

        secondary.fail()
        try await producer.send(Message(key: nil, payload: "fails"), to: topicName)
        try await eventually("the failed copy releasing the sends waiting for theirs", within: .seconds(20)) { returned.withLock { $0 } == 2 }
        #expect(dual.stats().secondaryFailing)
        #expect(dual.stats().secondaryFailures == 3)
        #expect(dual.stats().spooled == 3)

        try await producer.send(Message(key: nil, payload: "after"), to: topicName)
        #expect(secondary.singleSends == 3, "a send after the failure goes straight to the spool")
        #expect(dual.stats().spooled == 4)

        secondary.release()
        for task in waiting { try await task.value }
        try await eventually("the spool draining: \(dual.stats())") { dual.stats().spoolDepth == 0 }
        try await producer.close()
        try await dual.shutdown()
    }
}
