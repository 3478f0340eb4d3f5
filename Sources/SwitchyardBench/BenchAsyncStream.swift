import Histogram
import Switchyard
import SwitchyardLatency

/// The baseline: the same messages through a plain `AsyncStream`, one producer task and one consumer
/// task, with no acknowledgements. It is what an in-process queue costs without Switchyard.
package struct BenchAsyncStream: Sendable {
    package let settings: BenchSettings

    package init(settings: BenchSettings) {
        self.settings = settings
    }

    package func measure(_ workload: BenchWorkload, run: Int, progress: BenchProgress) async throws -> BenchRow {
        let label = "[run \(run)] AsyncStream"
        let messages = workload.messages
        let count = messages.count

        progress.show(label + " produce")
        let (loaded, loader) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
        let produceStarted = ContinuousClock.now
        for message in messages {
            loader.yield(message)
        }
        let produced = ContinuousClock.now - produceStarted
        loader.finish()

        progress.show(label + " consume")
        let consumeStarted = ContinuousClock.now
        _ = try await Self.receive(count, from: loaded, recordLatency: false)
        let consumed = ContinuousClock.now - consumeStarted

        progress.show(label + " pipeline")
        let (piped, pipe) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
        let pipelineStarted = ContinuousClock.now
        async let pipelineLatency = Self.receive(count, from: piped, recordLatency: true)
        for message in messages {
            var stamped = message
            stamped.publishedAt = WallClock.nowMicroseconds()
            pipe.yield(stamped)
        }
        pipe.finish()
        let latency = try await pipelineLatency
        let pipelined = ContinuousClock.now - pipelineStarted

        var row = BenchRow(
            produce: BenchMath.rate(count, produced),
            consume: BenchMath.rate(count, consumed),
            pipeline: BenchMath.rate(count, pipelined),
            pipelineP50Ms: latency.milliseconds(atPercentile: 50),
            pipelineP99Ms: latency.milliseconds(atPercentile: 99)
        )
        if settings.rate > 0 {
            progress.show(label + " @\(settings.rate)/s")
            let rateCount = settings.rateMessages
            let (paced, pacedInput) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
            async let pacedLatency = Self.receive(rateCount, from: paced, recordLatency: true)
            let pacer = BenchPacer(messagesPerSecond: settings.rate)
            let started = ContinuousClock.now
            for index in 0..<rateCount {
                try await pacer.wait(for: index)
                var stamped = messages[index % count]
                stamped.publishedAt = WallClock.nowMicroseconds()
                pacedInput.yield(stamped)
            }
            let elapsed = ContinuousClock.now - started
            pacedInput.finish()
            let latency = try await pacedLatency
            row.rateP50Ms = latency.milliseconds(atPercentile: 50)
            row.rateP99Ms = latency.milliseconds(atPercentile: 99)
            row.rateAchieved = BenchMath.rate(rateCount, elapsed)
        }
        progress.clear()
        return row
    }

    /// Takes `count` messages from the stream, recording their publish-to-consume latency.
    private static func receive(_ count: Int, from stream: AsyncStream<Message>, recordLatency: Bool) async throws -> Histogram<UInt64> {
        var latency = Histogram<UInt64>.latencyMicroseconds()
        var received = 0
        for await message in stream {
            if recordLatency, let publishedAt = message.publishedAt {
                latency.recordLatency(microseconds: WallClock.nowMicroseconds() - publishedAt)
            }
            received += 1
            if received == count { break }
        }
        guard received == count else {
            throw SwitchyardError(.internalError, "The AsyncStream baseline ended after \(received) of \(count) messages.")
        }
        return latency
    }
}
