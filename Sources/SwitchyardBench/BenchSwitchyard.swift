import Histogram
import Logging
import Switchyard
import SwitchyardLatency
import SwitchyardMigration

/// Measures a Switchyard backend: sends one by one (or in batches) with up to `inFlight` awaiting their
/// acknowledgement, receives with a per-message ack, and both at once. Every phase uses a fresh topic,
/// so runs do not see each other's messages.
///
/// On a backend with replay the consumer starts at the earliest message. On one without (RabbitMQ's
/// classic and quorum queues), the group is created before the produce phase, so that its queue holds
/// what is sent, and the consumer then starts at the group's committed position.
package struct BenchSwitchyard: Sendable {
    package let backend: any MessagingBackend
    package let settings: BenchSettings
    package let logger: Logger
    /// Makes topic names unique to this invocation.
    package let runTag: String

    package init(backend: any MessagingBackend, settings: BenchSettings, logger: Logger, runTag: String) {
        self.backend = backend
        self.settings = settings
        self.logger = logger
        self.runTag = runTag
    }

    package func measure(_ workload: BenchWorkload, run: Int, progress: BenchProgress) async throws -> BenchRow {
        let label = "[run \(run)] \(backend.name)"
        let loaded = try await makeTopic("r\(run)-load")
        if !backend.capabilities.contains(.replay) {
            try await makeConsumer(loaded).close()
        }
        let produced = try await produce(workload, to: loaded, progress: progress, label: label + " produce")
        let consumed = try await consume(from: loaded, count: workload.messages.count, progress: progress, label: label + " consume")
        let pipeline = try await pipeline(workload, progress: progress, label: label + " pipeline", topic: try await makeTopic("r\(run)-pipe"))
        var row = BenchRow(
            produce: BenchMath.rate(workload.messages.count, produced),
            consume: BenchMath.rate(workload.messages.count, consumed),
            pipeline: BenchMath.rate(workload.messages.count, pipeline.elapsed),
            pipelineP50Ms: pipeline.latency.milliseconds(atPercentile: 50),
            pipelineP99Ms: pipeline.latency.milliseconds(atPercentile: 99)
        )
        if settings.rate > 0 {
            let paced = try await paced(workload, progress: progress, label: label + " @\(settings.rate)/s", topic: try await makeTopic("r\(run)-rate"))
            row.rateP50Ms = paced.latency.milliseconds(atPercentile: 50)
            row.rateP99Ms = paced.latency.milliseconds(atPercentile: 99)
            row.rateAchieved = BenchMath.rate(settings.rateMessages, paced.elapsed)
        }
        progress.clear()
        return row
    }

    private func makeTopic(_ suffix: String) async throws -> String {
        let name = "bench-\(runTag)-\(suffix)"
        try await backend.ensureTopic(TopicSpec(name: name, partitions: settings.partitions))
        if let dual = backend as? DualWriteBackend {
            try await BenchDualWriteSubjects.bindGroup(on: dual, topic: name, prefetch: settings.prefetch, logger: logger)
        }
        return name
    }

    /// The consumer group of a phase's topic: a group of its own, so that no phase's consumer waits for
    /// the previous phase's member to leave (on Kafka's mock cluster, whose groups do not rebalance when
    /// a member leaves, that wait is a whole session timeout).
    package static func group(for topic: String) -> String {
        "g-" + topic
    }

    private func makeConsumer(_ topic: String) async throws -> Consumer {
        try await backend.makeConsumer(
            topic: topic,
            options: ConsumerOptions(
                group: Self.group(for: topic),
                startPosition: backend.capabilities.contains(.replay) ? .earliest : .committed,
                prefetch: settings.prefetch
            ),
            logger: logger
        )
    }

    /// Sends every message with no consumer running and returns how long it took: from the first send
    /// to the last acknowledgement. Before the clock starts, one warm-up message per key of the workload
    /// is sent and acknowledged, so the producer's connections to the partitions' leaders, its producer
    /// id (Kafka) and the topic's metadata are in place; the Kafka baseline warms up the same way. The
    /// consume phase reads those messages too.
    private func produce(_ workload: BenchWorkload, to topic: String, progress: BenchProgress, label: String) async throws -> Duration {
        let producer = try await backend.makeProducer(logger: logger)
        let warmUp = workload.messages.prefix(BenchWorkload.keyCount).map { Message(key: $0.key, payload: Array("warm-up".utf8)) }
        try await BenchDeadline.run(seconds: settings.phaseTimeout, phase: label + " (warm-up sends)") {
            _ = try await producer.send(warmUp, to: topic)
        }
        let started = ContinuousClock.now
        try await send(workload, with: producer, to: topic, progress: progress, label: label)
        let elapsed = ContinuousClock.now - started
        try await producer.close()
        return elapsed
    }

    /// Receives `count` messages already in the topic, acking each, and returns how long it took: from
    /// making the consumer or, when the settings exclude the group's join, from the first delivery.
    private func consume(from topic: String, count: Int, progress: BenchProgress, label: String) async throws -> Duration {
        let consumer = try await makeConsumer(topic)
        let started = ContinuousClock.now
        let received = try await BenchDeadline.run(seconds: settings.phaseTimeout, phase: label) {
            try await receive(count, from: consumer, recordLatency: false, progress: progress, label: label)
        }
        let elapsed = ContinuousClock.now - (settings.excludesGroupJoin ? received.firstDelivery : started)
        try await consumer.close()
        return elapsed
    }

    /// Sends and receives at once; returns the time from the first send to the last receive and the
    /// publish-to-consume latency.
    private func pipeline(_ workload: BenchWorkload, progress: BenchProgress, label: String, topic: String) async throws -> (elapsed: Duration, latency: Histogram<UInt64>) {
        let consumer = try await makeConsumer(topic)
        let producer = try await backend.makeProducer(logger: logger)
        try await primeIfNeeded(consumer, producer, topic: topic, label: label)
        let count = workload.messages.count
        let started = ContinuousClock.now
        let latency = try await BenchDeadline.run(seconds: settings.phaseTimeout, phase: label) {
            async let received = receive(count, from: consumer, recordLatency: true, progress: progress, label: label)
            try await send(workload, with: producer, to: topic, progress: BenchProgress.silent, label: label)
            return try await received.latency
        }
        let elapsed = ContinuousClock.now - started
        try await producer.close()
        try await consumer.close()
        return (elapsed, latency)
    }

    /// Sends at the fixed rate while receiving; returns the sending time and the latency.
    private func paced(_ workload: BenchWorkload, progress: BenchProgress, label: String, topic: String) async throws -> (elapsed: Duration, latency: Histogram<UInt64>) {
        let consumer = try await makeConsumer(topic)
        let producer = try await backend.makeProducer(logger: logger)
        try await primeIfNeeded(consumer, producer, topic: topic, label: label)
        let count = settings.rateMessages
        let rate = settings.rate
        let inFlight = settings.inFlight
        let messages = workload.messages
        let (elapsed, latency) = try await BenchDeadline.run(seconds: settings.phaseTimeout + settings.rateSeconds, phase: label) {
            async let received = receive(count, from: consumer, recordLatency: true, progress: progress, label: label)
            let pacer = BenchPacer(messagesPerSecond: rate)
            let started = ContinuousClock.now
            try await Self.inWindow(count, of: inFlight) { index in
                try await pacer.wait(for: index)
                try await producer.send(messages[index % messages.count], to: topic)
            }
            let elapsed = ContinuousClock.now - started
            return (elapsed, try await received.latency)
        }
        try await producer.close()
        try await consumer.close()
        return (elapsed, latency)
    }

    private func send(_ workload: BenchWorkload, with producer: Producer, to topic: String, progress: BenchProgress, label: String) async throws {
        let total = workload.messages.count
        if settings.inFlight > 1 {
            let sent = LockedValue(0)
            if workload.batches.isEmpty {
                try await Self.inWindow(total, of: settings.inFlight) { index in
                    try await producer.send(workload.messages[index], to: topic)
                    progress.update(label, done: sent.withLock { $0 += 1; return $0 }, total: total)
                }
            } else {
                try await Self.inWindow(workload.batches.count, of: settings.inFlight) { index in
                    let batch = workload.batches[index]
                    try await producer.send(batch, to: topic)
                    progress.update(label, done: sent.withLock { $0 += batch.count; return $0 }, total: total)
                }
            }
        } else if workload.batches.isEmpty {
            var sent = 0
            for message in workload.messages {
                try await producer.send(message, to: topic)
                sent += 1
                progress.update(label, done: sent, total: total)
            }
        } else {
            var sent = 0
            for batch in workload.batches {
                try await producer.send(batch, to: topic)
                sent += batch.count
                progress.update(label, done: sent, total: total)
            }
        }
    }

    /// Runs `body` for indices `0..<count` in order of start, with at most `width` running at once;
    /// with a width of 1, one after another in the calling task.
    private static func inWindow(_ count: Int, of width: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        guard width > 1 else {
            for index in 0..<count { try await body(index) }
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= width { try await group.next() }
                group.addTask { try await body(index) }
            }
            try await group.waitForAll()
        }
    }

    /// When the settings exclude the group's join: sends one message and receives it, so the consumer
    /// has its partitions before the phase's clock starts.
    private func primeIfNeeded(_ consumer: Consumer, _ producer: Producer, topic: String, label: String) async throws {
        guard settings.excludesGroupJoin else { return }
        try await BenchDeadline.run(seconds: settings.phaseTimeout, phase: label + " (waiting for the consumer's partitions)") {
            try await producer.send(Message(payload: Array("prime".utf8)), to: topic)
            _ = try await receive(1, from: consumer, recordLatency: false, progress: .silent, label: label)
        }
    }

    /// Receives `count` deliveries, acking them as `ack` says, and records their publish-to-consume
    /// latency and when the first arrived.
    private func receive(
        _ count: Int, from consumer: Consumer, recordLatency: Bool, progress: BenchProgress, label: String
    ) async throws -> (latency: Histogram<UInt64>, firstDelivery: ContinuousClock.Instant) {
        var latency = Histogram<UInt64>.latencyMicroseconds()
        var firstDelivery = ContinuousClock.now
        guard count > 0 else { return (latency, firstDelivery) }
        var received = 0
        switch settings.ack {
        case .batch:
            while received < count {
                let batch = try await consumer.receive(maxMessages: min(settings.prefetch, count - received))
                if batch.isEmpty { break }
                if received == 0 { firstDelivery = .now }
                if recordLatency {
                    let now = WallClock.nowMicroseconds()
                    for delivery in batch {
                        if let publishedAt = delivery.message.publishedAt { latency.recordLatency(microseconds: now - publishedAt) }
                    }
                }
                try await consumer.ack(batch)
                received += batch.count
                progress.update(label, done: received, total: count)
            }
        case .each:
            for try await delivery in consumer {
                if received == 0 { firstDelivery = .now }
                if recordLatency, let publishedAt = delivery.message.publishedAt {
                    latency.recordLatency(microseconds: WallClock.nowMicroseconds() - publishedAt)
                }
                try await delivery.ack()
                received += 1
                progress.update(label, done: received, total: count)
                if received == count { break }
            }
        }
        if received >= count { return (latency, firstDelivery) }
        throw SwitchyardError(.internalError, "The bench consumer stopped after \(received) of \(count) messages. Check the backend's logs.")
    }
}
