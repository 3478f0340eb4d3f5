import Logging
import Switchyard
import SwitchyardInMemory
import Testing

@testable import SwitchyardConfiguration

@Suite struct BackendFactoryTests {
    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func inMemoryIsTheProcessWideSharedBroker() async throws {
        let backend = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        let again = try await BackendFactory.makeBackend(SwitchyardSettings(), logger: logger)
        #expect(backend.name == "inmemory")
        #expect((backend as? InMemoryBackend) === (again as? InMemoryBackend))
        #expect((backend as? InMemoryBackend) === InMemoryBackend.shared(named: BackendFactory.sharedInMemoryBrokerName))
    }

    @Test(arguments: [SwitchyardSettings.Backend.kafka, .rabbitmq, .dual])
    func backendsNotInThisBuildAreUnsupported(_ kind: SwitchyardSettings.Backend) async {
        var settings = SwitchyardSettings()
        settings.backend = kind
        do {
            _ = try await BackendFactory.makeBackend(settings, logger: logger)
            Issue.record("Expected an error for \(kind)")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("The \(kind.rawValue) backend is not available in this build yet"))
        }
    }
}
