import Logging
import Switchyard

/// A migration rehearsal: live traffic driven through the five phases of <doc:MigrationPhases>, with a
/// feed publishing it and an application consuming it throughout, and every phase judged by comparison
/// reports. The traffic (`switchyard migrate rehearse` uses the demo's crypto price feed) and the two
/// brokers come from the caller, so the rehearsal itself knows no concrete backend.
///
/// Each cutover is what a configuration change plus a restart does in production: the next phase's
/// writer is built (a fresh client, a dual-write backend with its own spool directory), the feed
/// switches to it between two batches, and the replaced writer waits for its spool to drain, then
/// closes. Then the application's consumer restarts with the next phase's read side: on the same
/// broker it resumes its group's committed position; from RabbitMQ to Kafka it hands over by publish
/// time (see ``RehearsalApplication``). Then the finished phase settles: it waits until the
/// application has processed, and in a dual phase both brokers have delivered, every message the
/// phase published, and judges its comparisons.
///
/// The fault: during ``Configuration/faultPhase`` every broker of the new side goes down for a while,
/// so the dual writer spools its copies; when they come back, the spool must drain and the phase's
/// comparison still come out clean.
package struct Rehearsal: Sendable {
    package struct Configuration: Sendable {
        /// How long each phase publishes before the next cutover.
        package var phaseSeconds: Double = 12
        package var topic: String
        /// The application's consumer group; the comparison's readers use groups named after it.
        package var group: String
        package var partitions = 4
        /// The directory under which each dual writer gets its spool directory.
        package var spoolRoot: String
        /// The longest a phase may take to settle after its writer was replaced.
        package var settleTimeout: Duration = .seconds(60)
        /// How far before the writers' switch the new broker's consumer group starts.
        package var handOverMargin: Duration = .seconds(1)
        /// The phase during which the new broker goes down; `nil` for none.
        package var faultPhase: RehearsalPhase? = .dualWriteCompare
        /// How long the new broker stays down. Keep it well above the secondary send timeout: the
        /// writer's sends wait up to that long for the outage's first copy before spooling begins.
        package var outageSeconds: Double = 5

        package init(topic: String, group: String, spoolRoot: String) {
            self.topic = topic
            self.group = group
            self.spoolRoot = spoolRoot
        }
    }

    package let configuration: Configuration
    package let brokers: RehearsalBrokers
    package let logger: Logger

    package init(configuration: Configuration, brokers: RehearsalBrokers, logger: Logger) {
        self.configuration = configuration
        self.brokers = brokers
        self.logger = logger
    }

    /// Runs every phase, publishing `traffic` on the topic throughout, and returns their results,
    /// calling `report` with each as soon as it settles and `note` with progress. Throws when the rehearsal cannot go on (a broker refused to connect, a
    /// phase did not settle in time); a phase whose comparison failed is a result, not an error.
    package func run(
        traffic: some RehearsalTraffic, report: @Sendable (RehearsalResult) -> Void, note: @Sendable (String) -> Void
    ) async throws -> [RehearsalResult] {
        let book = RehearsalBook(topic: configuration.topic)
        let app = RehearsalApplication(book: book, brokers: brokers, topic: configuration.topic, group: configuration.group, logger: logger)
        let feed = RehearsalFeed(topic: configuration.topic, book: book, logger: logger)
        try await retrying("Creating the topic") { try await createTopic() }
        let feedTask = Task { try await feed.run(traffic) }
        var results: [RehearsalResult] = []
        var running: Running?
        do {
            for phase in RehearsalPhase.allCases {
                let next = try await start(phase, after: running, book: book, app: app, feed: feed, note: note)
                if let running {
                    let result = try await settle(running, writer: next.replaced, nextPhase: phase, switchedAt: next.running.switchedAt, book: book, app: app, note: note)
                    results.append(result)
                    report(result)
                }
                running = next.running
                if phase == configuration.faultPhase, let writer = next.running.writer {
                    running?.fault = try await injectFault(into: writer, note: note)
                }
                try await wait(until: next.running.started + .seconds(configuration.phaseSeconds), feed: feed, feedTask: feedTask)
            }
            let last = await feed.install(nil)
            feed.finish()
            try await feedTask.value
            if let running {
                let result = try await settle(running, writer: last, nextPhase: nil, switchedAt: WallClock.nowMicroseconds(), book: book, app: app, note: note)
                results.append(result)
                report(result)
            }
            try await app.stop()
        } catch {
            feed.finish()
            if let writer = await feed.install(nil) { try? await writer.close() }
            feedTask.cancel()
            try? await app.stop()
            try? await running?.reader?.close()
            throw error
        }
        return results
    }

    /// A phase whose writer is installed.
    private struct Running: Sendable {
        var phase: RehearsalPhase
        var reader: RehearsalSideReader?
        /// The writer, until the next cutover replaces it.
        var writer: RehearsalWriter?
        var started: ContinuousClock.Instant
        var switchedAt: Int64
        /// Where the consumer group started on the phase's read side, when it moved there by publish time.
        var readSideSince: Int64?
        var fault: RehearsalResult.Fault?
    }

    private func createTopic() async throws(SwitchyardError) {
        for broker in [RehearsalPhase.Broker.old, .new] {
            let backend = try await brokers.make(broker)
            do {
                try await backend.ensureTopic(TopicSpec(name: configuration.topic, partitions: configuration.partitions))
            } catch {
                try? await backend.shutdown()
                throw error
            }
            try await backend.shutdown()
        }
    }

    /// Starts `phase`: its side readers, its writer, and (for the first phase) the application; then
    /// switches the feed to the writer. Returns the phase and the writer it replaced.
    private func start(
        _ phase: RehearsalPhase,
        after previous: Running?,
        book: RehearsalBook,
        app: RehearsalApplication,
        feed: RehearsalFeed,
        note: (String) -> Void
    ) async throws -> (running: Running, replaced: RehearsalWriter?) {
        let sides: (primary: String, secondary: String)?
        if case .dual(let primary, let secondary) = phase.writes {
            sides = (brokers.name(of: primary), brokers.name(of: secondary))
        } else {
            sides = nil
        }
        book.open(phase, readSide: brokers.name(of: phase.readSide), sides: sides)
        let from = WallClock.nowMicroseconds() - configuration.handOverMargin.wholeMicroseconds
        let reader = phase.isDual
            ? try await retrying("Starting the comparison's readers") {
                try await RehearsalSideReader.start(
                    phase, brokers: brokers, topic: configuration.topic, group: "\(configuration.group)-compare-\(phase.rawValue)", from: from, book: book, logger: logger
                )
            }
            : nil
        let writer: RehearsalWriter
        do {
            writer = try await retrying("Starting the phase \(phase.rawValue) writer") {
                try await RehearsalWriter.make(
                    phase, brokers: brokers, topic: TopicSpec(name: configuration.topic, partitions: configuration.partitions),
                    spoolRoot: configuration.spoolRoot, book: book, logger: logger
                )
            }
            if previous == nil {
                try await retrying("Starting the consumer") { try await app.restart(on: phase.readSide) }
            }
        } catch {
            try? await reader?.close()
            throw error
        }
        let switchedAt = WallClock.nowMicroseconds()
        if let previous, previous.phase.readSide != phase.readSide {
            app.leave(publishedFrom: switchedAt)
        }
        let replaced = await feed.install(writer)
        var readSideSince = previous?.readSideSince
        if let previous, previous.phase.readSide != phase.readSide {
            readSideSince = switchedAt - configuration.handOverMargin.wholeMicroseconds
        }
        note("phase \(phase.rawValue) \(phase.title(old: brokers.oldName, new: brokers.newName)): the price feed writes through the phase \(phase.rawValue) configuration")
        let running = Running(phase: phase, reader: reader, writer: writer, started: .now, switchedAt: switchedAt, readSideSince: readSideSince)
        return (running, replaced)
    }

    /// Retires `running`'s `writer` (spool drained, closed), restarts the application with the next
    /// phase's read side, waits until the phase's messages are all delivered, and judges them.
    private func settle(
        _ running: Running,
        writer: RehearsalWriter?,
        nextPhase: RehearsalPhase?,
        switchedAt: Int64,
        book: RehearsalBook,
        app: RehearsalApplication,
        note: (String) -> Void
    ) async throws -> RehearsalResult {
        let phase = running.phase
        var problems: [String] = []
        var figures: DualWriteFigures?
        if let writer {
            if !(await writer.waitForEmptySpool(timeout: configuration.settleTimeout)) {
                problems.append("the spool still held copies \(configuration.settleTimeout) after the cutover")
            }
            figures = writer.dualWriteFigures
            try await writer.close()
        }
        if let nextPhase {
            if nextPhase.readSide == phase.readSide {
                try await retrying("Restarting the consumer") { try await app.restart(on: nextPhase.readSide, from: running.readSideSince) }
            } else {
                note("phase \(nextPhase.rawValue): handing the consumer group over from \(brokers.name(of: phase.readSide)) to \(brokers.name(of: nextPhase.readSide))")
                try await app.drain(publishedBefore: switchedAt, timeout: configuration.settleTimeout)
                let from = switchedAt - configuration.handOverMargin.wholeMicroseconds
                try await retrying("Starting the consumer on \(brokers.name(of: nextPhase.readSide))") {
                    try await app.restart(on: nextPhase.readSide, from: from)
                }
            }
        }
        let deadline = ContinuousClock.now + configuration.settleTimeout
        while !book.isComplete(phase.rawValue), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await running.reader?.close()
        let settled = book.settle(phase.rawValue, dualWrite: figures)
        problems += RehearsalResult.failures(of: settled.delivery, comparison: "delivery")
        if let sides = settled.sides {
            problems += RehearsalResult.failures(of: sides, comparison: "sides")
        }
        if let fault = running.fault {
            if (figures?.spooled ?? 0) == 0 { problems.append("the \(fault.broker) outage sent no copy to the spool") }
            if fault.drainedSeconds == nil { problems.append("the spool did not drain after \(fault.broker) came back") }
        }
        return RehearsalResult(
            phase: phase,
            title: phase.title(old: brokers.oldName, new: brokers.newName),
            published: settled.published,
            consumed: settled.consumed,
            delivery: settled.delivery,
            sides: settled.sides,
            spoolPeak: phase.isDual ? settled.spoolPeak : nil,
            fault: running.fault,
            problems: problems
        )
    }

    /// Takes the new broker down for ``Configuration/outageSeconds``, brings it back, and waits for the
    /// writer's spool to drain.
    private func injectFault(into writer: RehearsalWriter, note: (String) -> Void) async throws -> RehearsalResult.Fault {
        let down = configuration.outageSeconds
        try await Task.sleep(for: .seconds(configuration.phaseSeconds * 0.15))
        note("phase \(writer.phase.rawValue): \(brokers.newName) goes down for \(RehearsalResult.seconds(down)) s")
        await brokers.takeNewDown()
        try await Task.sleep(for: .seconds(down))
        await brokers.bringNewUp()
        let upAt = ContinuousClock.now
        note("phase \(writer.phase.rawValue): \(brokers.newName) is back; the spool replays")
        let drained = await writer.waitForEmptySpool(timeout: configuration.settleTimeout)
        let elapsed = ContinuousClock.now - upAt
        return RehearsalResult.Fault(
            broker: brokers.newName,
            downSeconds: down,
            drainedSeconds: drained ? elapsed.inSeconds : nil
        )
    }

    /// Sleeps until `instant`; throws the feed's error at once if it stopped meanwhile.
    private func wait(until instant: ContinuousClock.Instant, feed: RehearsalFeed, feedTask: Task<Void, any Error>) async throws {
        while ContinuousClock.now < instant {
            if feed.hasStopped {
                try await feedTask.value
                throw SwitchyardError(.internalError, "The rehearsal's price feed stopped early without an error; run it again with --verbose.")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `body` again while it fails with a retriable error, for at most the settle timeout, as a
    /// restarted process retries reaching its broker.
    private func retrying<Value>(_ what: String, _ body: () async throws -> Value) async throws -> Value {
        let deadline = ContinuousClock.now + configuration.settleTimeout
        while true {
            do {
                return try await body()
            } catch let error as SwitchyardError where error.isRetriable && ContinuousClock.now < deadline {
                logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
