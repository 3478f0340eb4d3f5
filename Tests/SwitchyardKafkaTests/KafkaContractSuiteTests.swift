import Foundation
import Logging
import Switchyard
import SwitchyardContract
import SwitchyardKafka
import Testing

/// The public contract suite against Kafka: an in-process mock cluster of 3 brokers by default, or the
/// real cluster named by `SWITCHYARD_KAFKA_BROKERS`.
@Suite(.serialized)
struct KafkaContractSuiteTests {
    /// Faster group membership than librdkafka's defaults, so rebalances in the tests take seconds.
    private static let testProperties = KafkaMockCluster.clientProperties

    /// The mock cluster every case shares, started on first use; each case works on topics and groups of
    /// its own.
    private static let sharedCluster = Task {
        try await KafkaMockCluster.start(brokers: 3, logger: Logger(label: "test.kafka.mock", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// The real cluster to run against instead of the mock, from `SWITCHYARD_KAFKA_BROKERS`.
    private static var realBrokers: String? {
        ProcessInfo.processInfo.environment["SWITCHYARD_KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func harness() async throws -> ContractHarness {
        let quiet = Logger(label: "test.kafka", factory: { _ in SwiftLogNoOpLogHandler() })
        if let brokers = realBrokers {
            let configuration = KafkaConfiguration(bootstrapServers: brokers, properties: testProperties)
            return ContractHarness(
                namePrefix: "kafka",
                caseTimeLimit: .seconds(120),
                waitTimeLimit: .seconds(30),
                quietPeriod: .seconds(1),
                makeBackend: { KafkaBackend(configuration: configuration, logger: quiet) },
                makeUnreachableBackend: { unreachable(logger: quiet) }
            )
        }
        let cluster = try await sharedCluster.value
        let configuration = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: testProperties)
        return ContractHarness(
            namePrefix: "kafka",
            caseTimeLimit: .seconds(120),
            waitTimeLimit: .seconds(30),
            quietPeriod: .seconds(1),
            makeBackend: { KafkaBackend(configuration: configuration, mockCluster: cluster, logger: quiet) },
            makeUnreachableBackend: { unreachable(logger: quiet) },
            restartBroker: {
                await cluster.setBrokerDown()
                // The outage itself: the brokers stay down this long before coming back.
                try await Task.sleep(for: .milliseconds(500))
                await cluster.setBrokerUp()
            }
        )
    }

    /// A client whose bootstrap server is a local port nothing listens on (port 1 is privileged and unused).
    private static func unreachable(logger: Logger) -> any MessagingBackend {
        KafkaBackend(
            configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: testProperties, adminTimeout: .seconds(5)),
            logger: logger
        )
    }

    @Test(arguments: ContractCase.all)
    func kafkaBackendKeepsTheContract(_ contractCase: ContractCase) async throws {
        let outcome = try await ContractSuite(harness: await Self.harness()).run(contractCase)
        // The notes count what at-least-once allows, such as redeliveries after a rebalance.
        if !outcome.notes.isEmpty {
            print("Kafka contract \(contractCase) notes: \(outcome.notes.joined(separator: " "))")
        }
        if case .skipped = outcome.result, Self.realBrokers != nil, contractCase == .brokerRestartMidStream {
            // A real cluster cannot be restarted from here; the mock cluster runs this case.
            return
        }
        #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result) \(outcome.notes)")
    }

    /// The capability cases prove every flag the backend declares and show each one it lacks failing
    /// clearly: exact attempt counts always, and persistence on the mock cluster.
    @Test func capabilityCasesProveEveryDeclaredFlagAndTheAbsenceOfEveryOther() async throws {
        var outcomes: [ContractOutcome] = []
        for contractCase in ContractCase.capabilityCases {
            outcomes.append(try await ContractSuite(harness: await Self.harness()).run(contractCase))
        }
        let declared = try #require(outcomes.first?.declaredCapabilities)
        #expect(!declared.contains(.deliveryAttemptCount))
        #expect(ContractCoverage.missing(in: outcomes, for: declared).isEmpty, "\(ContractCoverage.missing(in: outcomes, for: declared))")
    }
}
