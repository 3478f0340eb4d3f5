import Foundation
import Logging
import Switchyard
import SwitchyardBackends
import SwitchyardConfiguration
import SwitchyardInMemory
import Testing

@testable import SwitchyardMigration

@Suite("Dual-write configuration")
struct DualWriteConfigurationTests {
    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    private func load(_ yaml: String, flags: [FlagOverride] = []) throws(SwitchyardError) -> SwitchyardSettings {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-dual-\(UUID().uuidString).yaml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigurationLoader.load(file: path, environment: [:], flags: flags).settings
    }

    private func loadingError(_ yaml: String) -> SwitchyardError? {
        do {
            _ = try load(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test("backend: dual builds a dual-write backend over the two configured sides")
    func dualBuilds() async throws {
        let directory = try DualWriteTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = try load("""
            backend: dual
            dual:
              primary: inmemory
              secondary: rabbitmq
              readFrom: primary
              spool: \(directory)
            rabbitmq:
              url: amqp://guest:guest@127.0.0.1:1/%2F
            """)
        let backend = try await BackendFactory.makeBackend(settings, logger: logger)
        let dual = try #require(backend as? DualWriteBackend)
        #expect(dual.primary.name == "inmemory")
        #expect(dual.secondary.name == "rabbitmq")
        #expect(dual.configuration.readFrom == .primary)
        #expect(dual.configuration.spoolDirectory == directory)
        #expect(dual.capabilities.contains(.replay), "the capabilities are the in-memory read side's")
        try await dual.shutdown()
    }

    @Test("The same backend on both sides is refused, naming both keys")
    func sameSideTwice() {
        let error = loadingError("backend: dual\ndual:\n  primary: rabbitmq\n  secondary: rabbitmq\n")
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("dual.primary and dual.secondary are both 'rabbitmq'") == true)
    }

    @Test("The factory refuses the same side twice in settings made in code too")
    func sameSideTwiceInCode() async {
        var settings = SwitchyardSettings()
        settings.backend = .dual
        settings.dual.primary = .inmemory
        settings.dual.secondary = .inmemory
        await #expect {
            _ = try await BackendFactory.makeBackend(settings, logger: logger)
        } throws: { error in
            (error as? SwitchyardError)?.message.contains("dual.primary and dual.secondary are both 'inmemory'") == true
        }
    }

    @Test("A dual backend inside a dual backend is refused, naming the key")
    func dualInsideDual() {
        let error = loadingError("backend: dual\ndual:\n  primary: dual\n  secondary: rabbitmq\n")
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("invalid value 'dual' for dual.primary") == true)
        #expect(error?.message.contains("allowed: inmemory, kafka, rabbitmq") == true)
    }

    @Test("An empty spool path is refused, naming the key")
    func emptySpool() {
        let error = loadingError("backend: dual\ndual:\n  primary: inmemory\n  secondary: rabbitmq\n  spool: \"  \"\n")
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("for dual.spool") == true)
        #expect(error?.message.contains("non-empty text") == true)
    }

    /// What each phase file must say: backend, primary, secondary, read side.
    private static let phases: [String: (SwitchyardSettings.Backend, SwitchyardSettings.Dual.Side?, SwitchyardSettings.Dual.Side?)] = [
        "phase-0-rabbitmq.yaml": (.rabbitmq, nil, nil),
        "phase-1-dual-write.yaml": (.dual, .rabbitmq, .kafka),
        "phase-2-shadow-compare.yaml": (.dual, .rabbitmq, .kafka),
        "phase-3-kafka-primary.yaml": (.dual, .kafka, .rabbitmq),
        "phase-4-kafka.yaml": (.kafka, nil, nil),
    ]

    @Test("Every phase file in Migration/ loads, says what the runbook says, and builds")
    func migrationPhaseFiles() async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migration")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == Self.phases.keys.sorted())
        for file in files {
            let directory = try DualWriteTestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = folder.appendingPathComponent(file).path
            // The files name a production spool path; build against a temporary one.
            let spool = FlagOverride(key: "dual.spool", value: directory, flag: "--set dual.spool")
            let settings = try ConfigurationLoader.load(file: path, environment: [:], flags: [spool]).settings
            let expected = try #require(Self.phases[file])
            #expect(settings.backend == expected.0, "\(file)")
            if settings.backend == .dual {
                #expect(settings.dual.primary == expected.1, "\(file)")
                #expect(settings.dual.secondary == expected.2, "\(file)")
                #expect(settings.dual.readFrom == .primary, "\(file)")
            }
            try await build(settings)
        }
    }

    /// Builds the backend a phase file selects; backends connect lazily, so no broker is needed.
    private func build(_ settings: SwitchyardSettings) async throws {
        let backend = try await BackendFactory.makeBackend(settings, logger: logger)
        try await backend.shutdown()
    }
}
