import ArgumentParser
import Switchyard

/// The `switchyard` command line.
public struct SwitchyardCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Send, receive and benchmark messages through Switchyard's backends.",
        discussion: """
            Configuration comes from, highest precedence first: --backend and --set key=value, \
            SWITCHYARD_* environment variables (kafka.bootstrapServers is SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS), \
            the --config YAML or JSON file, then the defaults. `switchyard config show` lists every key.
            """,
        subcommands: [ProduceCommand.self, ConsumeCommand.self, ConfigCommand.self, DemoCommand.self, BenchCommand.self, CompareCommand.self, KafkaMockCommand.self, MigrateCommand.self, GatewayCommand.self, SubscribeCommand.self, ContractCommand.self]
    )

    public init() {}

    /// Parses the process's arguments and runs the command: the executable's entry point. A
    /// ``SwitchyardError`` is printed to stderr as its message alone, and any failure exits with a
    /// non-zero status.
    ///
    /// It has its own name because an async `main()` here would lose overload resolution to
    /// ArgumentParser's synchronous one, which refuses async commands.
    public static func runCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as SwitchyardError {
            CommandIO.standard.errors.write("Error: \(error.message)\(error.isRetriable ? " (retriable)" : "")\n")
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }
}
