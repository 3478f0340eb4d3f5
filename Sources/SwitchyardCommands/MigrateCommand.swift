import ArgumentParser

/// `switchyard migrate`: the commands of the RabbitMQ-to-Kafka migration kit (Migration/RUNBOOK.md).
public struct MigrateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Migration tools: rehearse the RabbitMQ-to-Kafka migration end to end.",
        subcommands: [RehearseCommand.self]
    )

    public init() {}
}
