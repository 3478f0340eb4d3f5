import Histogram
import SwitchyardLatency
import Logging
import Switchyard

/// The crypto price demo end to end: a simulated market feed publishes ticks to the `prices` topic,
/// and two consumer groups read every tick, one building 1-second candles and one keeping a live price
/// board.
public enum PricePipeline {
    /// How a run is shaped.
    public struct Configuration: Sendable {
        /// How long the feed publishes, in seconds.
        public var seconds: Double
        /// How many symbols trade, the busiest first; 1 to `MarketSymbol.catalog.count`.
        public var symbols: Int
        /// The seed of the simulated market.
        public var seed: UInt64
        /// The topic, created with ``partitions`` partitions when missing.
        public var topic: Topic<PriceTick> = PriceTick.topic
        /// Partitions for a newly created topic.
        public var partitions: Int = 4
        /// The consumer group that builds candles.
        public var candleGroup = "prices-candles"
        /// The consumer group that keeps the board.
        public var boardGroup = "prices-board"
        /// How long the groups may take, once the feed has stopped, to receive every tick.
        public var drainTimeout: Duration = .seconds(10)
        /// How often the board is drawn; `nil` means 4 times a second on a terminal, once a second
        /// otherwise.
        public var refreshInterval: Duration?

        public init(seconds: Double = 10, symbols: Int = 8, seed: UInt64 = 1) {
            self.seconds = seconds
            self.symbols = symbols
            self.seed = seed
        }
    }

    /// Runs the feed for the configured time, lets both groups drain (bounded by
    /// ``Configuration/drainTimeout``), closes everything and returns what each group received.
    ///
    /// Messages from other runs on the same topic are acked and skipped. Throws
    /// `SwitchyardError.Code.invalidConfiguration` for a bad configuration, and whatever the backend
    /// throws; producer and consumers are closed either way.
    public static func run(
        backend: any MessagingBackend,
        configuration: Configuration,
        output: DemoOutput,
        logger: Logger
    ) async throws -> PipelineSummary {
        try validate(configuration)
        let symbols = Array(MarketSymbol.catalog.prefix(configuration.symbols))
        let topic = configuration.topic
        try await backend.ensureTopic(TopicSpec(name: topic.name, partitions: configuration.partitions))

        let producer = try await backend.makeProducer(logger: logger)
        let groups: [GroupMember]
        do {
            groups = try await join([configuration.candleGroup, configuration.boardGroup], topic: topic.name, backend: backend, logger: logger)
        } catch {
            await closeQuietly(producer: producer, consumers: [])
            throw error
        }

        let runID = MessageID.generate()
        let ledger = PublishLedger()
        let dashboard = Dashboard(symbols: symbols)
        let started = ContinuousClock.now
        let startMicroseconds = WallClock.nowMicroseconds()
        let status: @Sendable () -> BoardRenderer.Status = {
            BoardRenderer.Status(
                elapsedSeconds: Double(WallClock.nowMicroseconds() - startMicroseconds) / 1_000_000,
                totalSeconds: configuration.seconds,
                published: ledger.count,
                consumedByGroup: groups.map { ($0.name, $0.tally.receivedCount) }
            )
        }
        let refresh = configuration.refreshInterval ?? (output.isTerminal ? .milliseconds(250) : .seconds(1))
        logger.info("Price demo starting", metadata: ["run": "\(runID)", "symbols": "\(symbols.count)", "seconds": "\(configuration.seconds)", "seed": "\(configuration.seed)"])

        do {
            try await withThrowingTaskGroup(of: Void.self) { display in
                display.addTask {
                    while true {
                        do {
                            try await Task.sleep(for: refresh)
                        } catch {
                            return
                        }
                        output.write(dashboard.render(status: status(), terminal: output.isTerminal))
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { work in
                    let candleGroup = groups[0]
                    let boardGroup = groups[1]
                    work.addTask {
                        var aggregator = CandleAggregator()
                        for try await tick in PriceTickStream(consumer: candleGroup.consumer, topic: topic, runID: runID, tally: candleGroup.tally, logger: logger) {
                            if let candle = aggregator.add(tick) {
                                dashboard.closed([candle])
                            }
                        }
                        dashboard.closed(aggregator.closeAll())
                        dashboard.recordLateTicks(aggregator.lateTicks)
                    }
                    work.addTask {
                        for try await tick in PriceTickStream(consumer: boardGroup.consumer, topic: topic, runID: runID, tally: boardGroup.tally, logger: logger) {
                            dashboard.update(tick)
                        }
                    }
                    let simulator = MarketSimulator(symbols: symbols, seed: configuration.seed, startMicroseconds: startMicroseconds)
                    let feed = MarketFeed(producer: producer, topic: topic, runID: runID, ledger: ledger)
                    try await feed.run(simulator, until: startMicroseconds + Int64(configuration.seconds * 1_000_000))
                    try await producer.flush()
                    try await drain(ledger: ledger, tallies: groups.map(\.tally), timeout: configuration.drainTimeout)
                    for group in groups {
                        try await group.consumer.close()
                    }
                    try await work.waitForAll()
                }
                display.cancelAll()
            }
            try await producer.close()
        } catch {
            await closeQuietly(producer: producer, consumers: groups.map(\.consumer))
            throw error
        }
        output.write(dashboard.render(status: status(), terminal: output.isTerminal))

        let published = ledger.snapshot()
        var latency = Histogram<UInt64>.latencyMicroseconds()
        var results: [PipelineSummary.GroupResult] = []
        for group in groups {
            let snapshot = group.tally.snapshot()
            let consumed = published.count - group.tally.missing(from: published)
            results.append(PipelineSummary.GroupResult(
                group: group.name,
                consumed: consumed,
                lost: published.count - consumed,
                duplicated: snapshot.duplicates,
                skipped: snapshot.skipped
            ))
            latency.add(snapshot.latency)
        }
        let elapsed = ContinuousClock.now - started
        return PipelineSummary(
            published: published.count,
            groups: results,
            latency: latency,
            candles: dashboard.candleCount,
            lateTicks: dashboard.lateTicks,
            symbols: symbols.count,
            seed: configuration.seed,
            elapsedSeconds: elapsed.inSeconds
        )
    }

    private static func validate(_ configuration: Configuration) throws(SwitchyardError) {
        let catalog = MarketSymbol.catalog.count
        guard (1...catalog).contains(configuration.symbols) else {
            throw SwitchyardError(.invalidConfiguration, "The demo trades 1 to \(catalog) symbols; \(configuration.symbols) were asked for. Choose a count in that range.")
        }
        guard configuration.seconds > 0, configuration.seconds <= 86_400 else {
            throw SwitchyardError(.invalidConfiguration, "The demo runs for more than 0 and at most 86400 seconds; \(configuration.seconds) were asked for.")
        }
        guard configuration.partitions > 0 else {
            throw SwitchyardError(.invalidConfiguration, "The prices topic needs at least 1 partition; \(configuration.partitions) were asked for.")
        }
    }

    /// Waits until every group has received every acknowledged send, or the timeout passes.
    private static func drain(ledger: PublishLedger, tallies: [DeliveryTally], timeout: Duration) async throws {
        let published = ledger.snapshot()
        let deadline = ContinuousClock.now + timeout
        while tallies.contains(where: { $0.missing(from: published) > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One consumer group's consumer and tally.
    private struct GroupMember: Sendable {
        var name: String
        var consumer: Consumer
        var tally: DeliveryTally
    }

    /// Creates one consumer per group; on failure, closes those already created. A group with no
    /// committed position starts at the time of joining where the backend can replay, so nothing sent
    /// while a group is still being assigned its partitions (seconds on Kafka) is missed.
    private static func join(_ names: [String], topic: String, backend: any MessagingBackend, logger: Logger) async throws -> [GroupMember] {
        let start: StartPosition = backend.capabilities.contains(.replay) ? .timestamp(microseconds: WallClock.nowMicroseconds()) : .committed
        var members: [GroupMember] = []
        do {
            for name in names {
                let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: name, startPosition: start), logger: logger)
                members.append(GroupMember(name: name, consumer: consumer, tally: DeliveryTally()))
            }
        } catch {
            for member in members {
                try? await member.consumer.close()
            }
            throw error
        }
        return members
    }

    private static func closeQuietly(producer: Producer, consumers: [Consumer]) async {
        for consumer in consumers {
            try? await consumer.close()
        }
        try? await producer.close()
    }
}
