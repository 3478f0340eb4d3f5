import ArgumentParser
import Foundation
import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration
import SwitchyardDemo
import SwitchyardKafka
import SwitchyardMigration

/// `switchyard migrate rehearse`: the whole migration, phase 0 to 4, on a local RabbitMQ and an
/// in-process Kafka mock cluster, with the price feed and its consumer running throughout.
public struct RehearseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Rehearse the RabbitMQ-to-Kafka migration: all five phases, live, with a comparison report per phase.",
        discussion: """
            Runs the crypto price feed and a consumer group through phase 0 (RabbitMQ only), 1 \
            (dual-write, reading RabbitMQ), 2 (dual-write with shadow comparison), 3 (Kafka primary, \
            RabbitMQ secondary) and 4 (Kafka only), --phase-seconds each. The feed never stops; each \
            cutover rebuilds the writer and restarts the consumer with the next phase's settings; the \
            group moves from RabbitMQ to Kafka at phase 3 by publish time, deduplicating by id. During \
            phase 2 every Kafka broker goes down for a while: the dual writer spools, and the spool must \
            drain when Kafka is back. Each phase then prints one line: what was published and consumed, \
            what was lost, mismatched and duplicated (published vs consumed, and in phases 1 to 3 RabbitMQ \
            vs Kafka, each read by a consumer group of its own), the spool's peak, and PASS or FAIL. \
            RabbitMQ is --rabbitmq-url, by default the local broker in a virtual host made for the run \
            with rabbitmqctl and deleted after it (the default vhost when that is not allowed; the run's \
            queues, named after the run, then stay there); Kafka is a mock cluster in this process. Exit status: 0 when every phase passed, 2 when one failed, 1 on any other error.
            """
    )

    @Option(help: ArgumentHelp("How long each phase publishes before the next cutover.", valueName: "seconds"))
    public var phaseSeconds: Double = 12

    @Option(help: ArgumentHelp("The RabbitMQ to use, e.g. amqp://user:password@host:5672/vhost; default: the local broker, in a virtual host of the run's own.", valueName: "url"))
    public var rabbitmqURL: String?

    @Option(help: "How many brokers the Kafka mock cluster runs.")
    public var kafkaBrokers: Int = 3

    @Option(help: "How many symbols the market trades, the busiest first; 8 publish about 300 ticks a second.")
    public var symbols: Int = 8

    @Option(help: "The seed of the simulated market; random when left out.")
    public var seed: UInt64?

    @Option(help: ArgumentHelp("The longest a phase may take to settle after its cutover.", valueName: "seconds"))
    public var settleTimeout: Double = 60

    @Flag(inversion: .prefixedNo, help: "Take Kafka down during phase 2, for 40% of a phase (at least 4 s).")
    public var fault = true

    @Option(help: ArgumentHelp("Write each phase's comparison reports here, as JSON and HTML.", valueName: "dir"))
    public var reportDir: String?

    @Flag(help: "Log the clients' warnings and the rehearsal's steps to standard error.")
    public var verbose = false

    public init() {}

    public func validate() throws {
        if !(phaseSeconds >= 1) || phaseSeconds > 3_600 { throw ValidationError("--phase-seconds must be from 1 to 3600.") }
        if !(1...32).contains(kafkaBrokers) { throw ValidationError("--kafka-brokers must be from 1 to 32.") }
        if !(1...MarketSymbol.catalog.count).contains(symbols) { throw ValidationError("--symbols must be from 1 to \(MarketSymbol.catalog.count).") }
        if !(settleTimeout > 0) { throw ValidationError("--settle-timeout must be a positive number of seconds.") }
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Runs the rehearsal on `io`: one line per phase on its output, progress on its errors. Throws
    /// `ExitCode(2)` after the last line when a phase failed.
    public func run(io: CommandIO) async throws {
        let logger = SinkLogHandler.logger(level: verbose ? .info : .critical, sink: io.errors)
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let topic = "prices-rehearsal-\(run)"
        let group = "rehearsal-\(run)-app"
        if let reportDir {
            try FileManager.default.createDirectory(atPath: reportDir, withIntermediateDirectories: true)
        }
        let (rabbitURL, vhost) = try await rabbitTarget(run: run, logger: logger, io: io)
        let cluster = try await KafkaMockCluster.start(brokers: kafkaBrokers, logger: logger)
        let spoolRoot = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-rehearsal-\(run)").path
        let results: [RehearsalResult]
        do {
            let brokers = try Self.brokers(rabbitURL: rabbitURL, cluster: cluster, logger: logger)
            io.output.write("rehearsal \(run): topic \(topic), group \(group); \(Self.describe(rabbitURL, vhost: vhost)); kafka mock cluster of \(kafkaBrokers) brokers at \(cluster.bootstrapServers); \(phaseSeconds) s per phase\n")
            var configuration = Rehearsal.Configuration(topic: topic, group: group, spoolRoot: spoolRoot)
            configuration.phaseSeconds = phaseSeconds
            configuration.settleTimeout = .milliseconds(Int64((settleTimeout * 1000).rounded()))
            configuration.faultPhase = fault ? .dualWriteCompare : nil
            configuration.outageSeconds = max(4, phaseSeconds * 0.4)
            let reportDir = reportDir
            let traffic = MarketTraffic(symbols: symbols, seed: seed ?? UInt64.random(in: 0...UInt64.max), topic: topic)
            results = try await Rehearsal(configuration: configuration, brokers: brokers, logger: logger).run(
                traffic: traffic,
                report: { result in
                    io.output.write(result.line + "\n")
                    if let reportDir { Self.writeReports(of: result, to: reportDir, io: io) }
                },
                note: { io.errors.write("rehearse: \($0)\n") }
            )
        } catch {
            await cluster.shutdown()
            await Self.delete(vhost, io: io)
            throw error
        }
        await cluster.shutdown()
        await Self.delete(vhost, io: io)
        let failed = results.filter { !$0.passed }
        if failed.isEmpty {
            try? FileManager.default.removeItem(atPath: spoolRoot)
            io.output.write("rehearsal PASS: all \(results.count) phases passed\n")
        } else {
            io.output.write("rehearsal FAIL: phase \(failed.map { String($0.phase.rawValue) }.joined(separator: ", ")) failed; the spools are in \(spoolRoot)\n")
            throw ExitCode(2)
        }
    }

    /// The RabbitMQ URL to use, and the virtual host made for the run when there is one.
    private func rabbitTarget(run: String, logger: Logger, io: CommandIO) async throws -> (String, RehearsalVirtualHost?) {
        if let rabbitmqURL { return (rabbitmqURL, nil) }
        if let vhost = await RehearsalVirtualHost.create("switchyard-rehearsal-\(run)", user: "guest", logger: logger) {
            return ("amqp://guest:guest@localhost:5672/\(vhost.name)", vhost)
        }
        io.errors.write("rehearse: rabbitmqctl could not make a virtual host (see --verbose); using the default one, with names of this run's own\n")
        return ("amqp://guest:guest@localhost:5672/%2F", nil)
    }

    private static func delete(_ vhost: RehearsalVirtualHost?, io: CommandIO) async {
        guard let vhost else { return }
        do {
            try await vhost.delete()
        } catch {
            io.errors.write("rehearse: could not delete the virtual host \(vhost.name) (\(error)); delete it with rabbitmqctl delete_vhost\n")
        }
    }

    /// RabbitMQ through the configuration's own factory; Kafka as a client of the mock cluster.
    static func brokers(rabbitURL: String, cluster: KafkaMockCluster, logger: Logger) throws(SwitchyardError) -> RehearsalBrokers {
        var rabbitmq = SwitchyardSettings()
        rabbitmq.backend = .rabbitmq
        rabbitmq.rabbitmq.url = rabbitURL
        let settings = rabbitmq
        // A consumer restarted into its group on the mock cluster waits out the old member's session;
        // the mock's short client session keeps each cutover within seconds.
        let kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: KafkaMockCluster.clientProperties)
        return RehearsalBrokers(
            oldName: "rabbitmq",
            newName: "kafka",
            makeOld: { () async throws(SwitchyardError) in try await BackendFactory.makeBackend(settings, logger: logger) },
            makeNew: { () async throws(SwitchyardError) in KafkaBackend(configuration: kafka, mockCluster: cluster, logger: logger) },
            takeNewDown: { for id in 1...cluster.brokerCount { await cluster.setBrokerDown(id) } },
            bringNewUp: { for id in 1...cluster.brokerCount { await cluster.setBrokerUp(id) } }
        )
    }

    /// Where RabbitMQ is, without the password.
    private static func describe(_ url: String, vhost: RehearsalVirtualHost?) -> String {
        let shown = Redaction.redactURLPassword(url)
        return vhost.map { "rabbitmq vhost \($0.name), made for this run, at \(shown)" } ?? "rabbitmq at \(shown)"
    }

    private static func writeReports(of result: RehearsalResult, to directory: String, io: CommandIO) {
        let reports = [("delivery", result.delivery)] + (result.sides.map { [("sides", $0)] } ?? [])
        for (name, report) in reports {
            let base = "\(directory)/phase-\(result.phase.rawValue)-\(name)"
            do {
                try Data(try report.json()).write(to: URL(fileURLWithPath: base + ".json"))
                try Data(try report.htmlPage().utf8).write(to: URL(fileURLWithPath: base + ".html"))
            } catch {
                io.errors.write("rehearse: could not write \(base).json/.html: \(error)\n")
            }
        }
    }
}
