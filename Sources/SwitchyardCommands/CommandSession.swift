import Logging
import Switchyard
import SwitchyardConfiguration

/// What a command runs with: its effective settings, a logger writing to standard error at
/// `log.level`, and a client on the configured backend.
struct CommandSession {
    let settings: SwitchyardSettings
    let logger: Logger
    let client: SwitchyardClient

    /// Loads the configuration, connects to the backend, runs `body`, then shuts the client down (its
    /// producers drained, its consumers closed), whether or not `body` throws.
    static func run<Result>(
        _ global: GlobalOptions,
        io: CommandIO,
        _ body: (CommandSession) async throws -> Result
    ) async throws -> Result {
        let settings = try global.resolve(environment: io.environment).settings
        let logger = SinkLogHandler.logger(level: settings.log.level, sink: io.errors)
        logger.debug("Effective configuration", metadata: ["settings": "\(settings)"])
        let backend = try await BackendFactory.makeBackend(settings, logger: logger)
        let session = CommandSession(settings: settings, logger: logger, client: SwitchyardClient(backend: backend, logger: logger))
        let result: Result
        do {
            result = try await body(session)
        } catch {
            do {
                try await session.client.shutdown()
            } catch let shutdownError {
                logger.warning("Shutting down after a failure failed too", metadata: ["error": "\(shutdownError)"])
            }
            throw error
        }
        try await session.client.shutdown()
        return result
    }
}
