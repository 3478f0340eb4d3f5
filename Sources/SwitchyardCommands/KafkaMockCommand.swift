import ArgumentParser
import Logging
import ServiceLifecycle
import Switchyard
import SwitchyardKafka

/// `switchyard kafka-mock`: librdkafka's mock cluster in this process, for development and tests.
public struct KafkaMockCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kafka-mock",
        abstract: "Run a local Kafka-protocol cluster (librdkafka's mock cluster, no JVM) until interrupted.",
        discussion: """
            The first line of standard output is the cluster's bootstrap servers, for example \
            SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS=$(head -n 1) or kcat -b. Any Kafka client can connect. \
            The cluster keeps its data in memory (at most 5 MiB or 100,000 message sets per partition; \
            older data is dropped silently), has no TLS, SASL or CreateTopics API, and creates a topic \
            that is sent to or subscribed to before it exists, with 4 partitions. Give --topic for other \
            partition counts. Ctrl-C or SIGTERM stops it with exit status 0. For development and tests only.
            """
    )

    @Option(help: "How many brokers the cluster runs (1 to 32).")
    public var brokers: Int = 3

    @Option(name: .customLong("topic"), help: ArgumentHelp("A topic to create at start, e.g. orders:6. Repeatable.", valueName: "name:partitions"))
    public var topics: [String] = []

    public init() {}

    public func validate() throws {
        if !(1...32).contains(brokers) { throw ValidationError("--brokers must be from 1 to 32.") }
        _ = try parsedTopics()
    }

    public func run() async throws {
        try await run(io: .standard)
    }

    /// Starts the cluster, creates the topics, writes the bootstrap servers as the first line of `io`'s
    /// output, then runs until `io`'s stop request, and shuts the cluster down.
    public func run(io: CommandIO) async throws {
        let topics = try parsedTopics()
        let logger = SinkLogHandler.logger(level: .warning, sink: io.errors)
        let cluster = try await KafkaMockCluster.start(brokers: brokers, logger: logger)
        do {
            for topic in topics {
                try await cluster.createTopic(topic.name, partitions: topic.partitions)
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        io.output.write(cluster.bootstrapServers + "\n")
        let created = topics.map { "\($0.name):\($0.partitions)" }.joined(separator: " ")
        io.errors.write("kafka-mock: \(brokers) broker\(brokers == 1 ? "" : "s") at \(cluster.bootstrapServers)\(created.isEmpty ? "" : ", topics \(created)"); Ctrl-C stops it\n")
        do {
            _ = try await io.runUntilShutdown(logger: logger) { try? await gracefulShutdown() }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
        io.errors.write("kafka-mock: stopped\n")
    }

    func parsedTopics() throws(ValidationError) -> [MockTopic] {
        var parsed: [MockTopic] = []
        for text in topics {
            do {
                parsed.append(try MockTopic.parse(text))
            } catch {
                throw ValidationError(error.message)
            }
        }
        return parsed
    }
}
