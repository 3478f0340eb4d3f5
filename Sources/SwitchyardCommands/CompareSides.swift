import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration

/// The two brokers of a dual-write configuration, each built on its own as `BackendFactory` builds a
/// single backend, so `compare` reads each side directly and never writes.
struct CompareSides {
    let primary: any MessagingBackend
    let secondary: any MessagingBackend
    let primaryName: String
    let secondaryName: String

    /// The sides `dual.primary` and `dual.secondary` name. The configuration makes sure they differ.
    ///
    /// - Throws: ``SwitchyardError/Code/invalidConfiguration`` when `backend` is not `dual`.
    static func make(_ settings: SwitchyardSettings, logger: Logger) async throws(SwitchyardError) -> CompareSides {
        guard settings.backend == .dual else {
            throw SwitchyardError(
                .invalidConfiguration,
                "compare reads both sides of a dual-write configuration, but backend is '\(settings.backend.rawValue)'. Set backend: dual with dual.primary and dual.secondary (or --backend dual --set dual.primary=… --set dual.secondary=…)."
            )
        }
        let dual = settings.dual
        let primary = try await single(dual.primary, settings, logger: logger)
        let secondary = try await single(dual.secondary, settings, logger: logger)
        return CompareSides(primary: primary, secondary: secondary, primaryName: dual.primary.rawValue, secondaryName: dual.secondary.rawValue)
    }

    private static func single(_ side: SwitchyardSettings.Dual.Side, _ settings: SwitchyardSettings, logger: Logger) async throws(SwitchyardError) -> any MessagingBackend {
        var single = settings
        switch side {
        case .inmemory: single.backend = .inmemory
        case .kafka: single.backend = .kafka
        case .rabbitmq: single.backend = .rabbitmq
        }
        return try await BackendFactory.makeBackend(single, logger: logger)
    }
}
