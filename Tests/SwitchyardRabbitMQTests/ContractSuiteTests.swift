import Switchyard
import SwitchyardContract
import SwitchyardRabbitMQ
import Testing

extension BrokerTests {
    /// The public contract suite against the local rabbitmq-server, in this run's virtual host.
    @Suite(.serialized)
    struct ContractSuiteTests {
        private static func harness(queueType: RabbitMQBackend.QueueType) -> ContractHarness {
            ContractHarness(
                namePrefix: "rabbitmq-\(queueType)",
                caseTimeLimit: .seconds(120),
                waitTimeLimit: .seconds(45),
                quietPeriod: .milliseconds(500),
                makeBackend: { try await TestBroker.backend(queueType: queueType) },
                makeUnreachableBackend: {
                    // Port 1 on the local host is closed, so connecting is refused at once.
                    let endpoint = try RabbitMQEndpoint(url: "amqp://guest:guest@127.0.0.1:1/")
                    return try RabbitMQBackend(configuration: .init(endpoint: endpoint, queueType: queueType))
                },
                restartBroker: { try await TestBroker.restart() }
            )
        }

        @Test(arguments: ContractCase.all)
        func quorumQueuesKeepTheContract(_ contractCase: ContractCase) async throws {
            let outcome = try await ContractSuite(harness: Self.harness(queueType: .quorum)).run(contractCase)
            #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result) \(outcome.notes)")
        }

        @Test(arguments: [RabbitMQBackend.QueueType.quorum, .classic])
        func capabilityCasesProveEveryDeclaredFlagAndTheAbsenceOfEveryOther(_ queueType: RabbitMQBackend.QueueType) async throws {
            var outcomes: [ContractOutcome] = []
            for contractCase in ContractCase.capabilityCases {
                let outcome = try await ContractSuite(harness: Self.harness(queueType: queueType)).run(contractCase)
                #expect(outcome.result == .proved || outcome.result == .provedUnsupported, "\(contractCase): \(outcome.result) \(outcome.notes)")
                outcomes.append(outcome)
            }
            let capabilities = try #require(outcomes.first?.declaredCapabilities)
            #expect(ContractCoverage.missing(in: outcomes, for: capabilities).isEmpty)
            #expect(!capabilities.contains(.replay))
            #expect(capabilities.contains(.deliveryAttemptCount) == (queueType == .quorum))
        }
    }
}
