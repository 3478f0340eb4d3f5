import Switchyard
import SwitchyardRabbitMQ
import Testing

extension BrokerTests {
    /// Connections killed and the broker restarted while messages flow: every message whose send
    /// returned is consumed.
    @Suite(.serialized)
    struct FaultTests {
        @Test func closingEveryConnectionMidStreamLosesNoConfirmedMessage() async throws {
            try await expectNoLoss(across: "close_all_connections", { try await TestBroker.rabbitmqctl("close_all_connections", "switchyard fault test") })
        }

        @Test func restartingTheBrokerMidStreamLosesNoConfirmedMessage() async throws {
            try await expectNoLoss(across: "stop_app/start_app", { try await TestBroker.restart() })
        }

        /// Sends paced messages until `fault` has finished and 50 more sends have succeeded, consuming
        /// all along, then waits until every message whose send returned has arrived. Prints the
        /// counts, duplicates included: a message redelivered after the fault, or published again
        /// because its confirm was lost, arrives more than once (at-least-once).
        private func expectNoLoss(across faultName: String, _ fault: @escaping @Sendable () async throws -> Void) async throws {
            let backend = try await TestBroker.backend()
            let topic = "fault-\(UInt64.random(in: 0...UInt64.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g", prefetch: 50))
            let producer = try await backend.makeProducer(options: ProducerOptions(sendTimeout: .seconds(5)))
            let ledger = FaultLedger()
            let (halfway, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in halfway { break }
                    try await fault()
                    ledger.faultDone()
                }
                group.addTask {
                    defer {
                        signal.finish()
                        ledger.sendingDone()
                    }
                    var sentAfterFault = 0
                    var index = 0
                    while sentAfterFault < 50 {
                        let message = Message(key: "key-\(index % 4)", payload: "fault #\(index)")
                        index += 1
                        while true {
                            do {
                                try await producer.send(message, to: topic)
                                break
                            } catch let error as SwitchyardError where error.isRetriable {
                                // A retry's back-off while the broker is down, not a wait for an event.
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                        ledger.confirmed(message.id)
                        if index == 50 { signal.yield() }
                        if ledger.faultHasHappened { sentAfterFault += 1 }
                        // Paces the feed so that sends straddle the fault; the pace is the scenario.
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(90)
                    while ContinuousClock.now < deadline {
                        if ledger.isSendingDone && ledger.lost.isEmpty { return }
                        let batch: [Delivery]
                        do {
                            batch = try await consumer.receive(max: 100, timeout: .milliseconds(500))
                        } catch let error as SwitchyardError where error.isRetriable {
                            continue
                        }
                        ledger.received(batch.map(\.message.id))
                        for delivery in batch {
                            do {
                                try await delivery.ack()
                            } catch let error as SwitchyardError where error.code == .alreadySettled || error.isRetriable {
                                continue
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let lost = ledger.lost
            let report = ledger.report
            print("fault \(faultName): confirmed=\(report.confirmed) received=\(report.deliveries) distinct=\(report.distinct) duplicates=\(report.duplicates) lost=\(lost.count)")
            #expect(ledger.faultHasHappened)
            #expect(lost.isEmpty, "\(lost.count) of \(ledger.confirmedCount) confirmed messages never arrived")
            #expect(ledger.confirmedCount >= 100)
            try await consumer.close()
            try await producer.close()
        }
    }
}

/// What a fault test sent and received, shared by its tasks.
private final class FaultLedger: Sendable {
    private struct State {
        var confirmed = Set<String>()
        var received = Set<String>()
        var deliveries = 0
        var faultDone = false
        var sendingDone = false
    }

    private let state = LockedValue(State())

    func confirmed(_ id: String) { state.withLock { _ = $0.confirmed.insert(id) } }
    func received(_ ids: [String]) {
        state.withLock { state in
            state.received.formUnion(ids)
            state.deliveries += ids.count
        }
    }
    func faultDone() { state.withLock { $0.faultDone = true } }
    func sendingDone() { state.withLock { $0.sendingDone = true } }

    var faultHasHappened: Bool { state.withLock(\.faultDone) }
    var isSendingDone: Bool { state.withLock(\.sendingDone) }
    var confirmedCount: Int { state.withLock { $0.confirmed.count } }
    /// Every delivery, the distinct ids among them, and the deliveries beyond the first of an id.
    var report: (confirmed: Int, deliveries: Int, distinct: Int, duplicates: Int) {
        state.withLock { ($0.confirmed.count, $0.deliveries, $0.received.count, $0.deliveries - $0.received.count) }
    }
    /// Confirmed messages not received (yet).
    var lost: Set<String> { state.withLock { $0.confirmed.subtracting($0.received) } }
}
