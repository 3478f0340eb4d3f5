import ArgumentParser

/// `switchyard config`: inspects the configuration.
public struct ConfigCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [ConfigShowCommand.self]
    )

    public init() {}
}

/// `switchyard config show`: prints every effective key with its value and source, secrets redacted.
public struct ConfigShowCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the effective configuration: every key, its value and its source (default, file, env or flag).",
        discussion: "Secrets are shown as <redacted>; for URLs, only the password is hidden."
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func run() throws {
        try run(io: .standard)
    }

    /// Runs the command on `io`.
    public func run(io: CommandIO) throws {
        io.output.write(try global.resolve(environment: io.environment).rendered())
    }
}
