import Switchyard

/// The contract every Switchyard backend must keep (see <doc:ContractCases>), runnable by any test framework.
///
/// A backend's tests supply a ``ContractHarness`` and run every case in ``ContractCase/all``. Each case
/// returns a ``ContractOutcome`` saying which branch it proved, or throws a ``ContractViolation`` saying
/// what it expected and what it saw. No case waits longer than the harness allows.
///
/// Cases exercise each capability flag the backend declares, and show that each one it lacks fails
/// with a clear error; ``ContractCoverage`` checks that a set of outcomes covered every flag.
///
/// With Swift Testing, one test per case:
///
/// ```swift
/// import SwitchyardContract
/// import Testing
///
/// @Suite(.serialized) struct MyBackendContractTests {
///     @Test(arguments: ContractCase.all)
///     func keepsTheContract(_ contractCase: ContractCase) async throws {
///         let harness = ContractHarness(
///             namePrefix: "mybackend",
///             makeBackend: { try await MyBackend.connect(to: brokerURL) },
///             makeUnreachableBackend: { try await MyBackend.connect(to: closedPortURL) },
///             restartBroker: { try await TestBroker.restart() }
///         )
///         let outcome = try await ContractSuite(harness: harness).run(contractCase)
///         // A case the harness gives no fault hook for comes back skipped, with the reason.
///         if case .skipped(let reason) = outcome.result { Issue.record("\(contractCase) skipped: \(reason)") }
///     }
/// }
/// ```
///
/// With XCTest, one test for the lot:
///
/// ```swift
/// import SwitchyardContract
/// import XCTest
///
/// final class MyBackendContractTests: XCTestCase {
///     func testKeepsTheContract() async throws {
///         let suite = ContractSuite(harness: ContractHarness(makeBackend: { try await MyBackend.connect(to: brokerURL) }))
///         var outcomes: [ContractOutcome] = []
///         for contractCase in ContractCase.all {
///             outcomes.append(try await suite.run(contractCase))
///         }
///         let backend = try await MyBackend.connect(to: brokerURL)
///         XCTAssertEqual(ContractCoverage.missing(in: outcomes, for: backend.capabilities), [])
///     }
/// }
/// ```
public struct ContractSuite: Sendable {
    /// How the suite reaches and breaks the backend under test.
    public let harness: ContractHarness

    public init(harness: ContractHarness) {
        self.harness = harness
    }

    /// Runs one case against a fresh client from the harness, then closes every producer, consumer
    /// and client it opened.
    ///
    /// - Returns: which branch was proved, the capability flags exercised, and notes.
    /// - Throws: ``ContractViolation`` when the backend breaks the contract, fails unexpectedly, or
    ///   takes longer than ``ContractHarness/caseTimeLimit``.
    public func run(_ contractCase: ContractCase) async throws -> ContractOutcome {
        let started = ContinuousClock.now
        let backend: any MessagingBackend
        do {
            backend = try await harness.makeBackend()
        } catch {
            throw ContractViolation.wrapping(
                ContractViolation(expected: "the harness to make a backend", seen: ContractViolation.describe(error)),
                in: contractCase
            )
        }
        let run = ContractRun(harness: harness, backend: backend)
        let limit = harness.caseTimeLimit
        let result: ContractOutcome.Result
        do {
            result = try await TimeLimit.deadline(
                limit,
                onTimeout: { ContractViolation(expected: "the case to finish within \(limit)", seen: "it was still running") }
            ) {
                try await contractCase.scenario(run)
            }
        } catch {
            await cleanUp(run)
            throw ContractViolation.wrapping(error, in: contractCase)
        }
        await cleanUp(run)
        return ContractOutcome(
            contractCase: contractCase,
            backendName: backend.name,
            declaredCapabilities: backend.capabilities,
            result: result,
            capabilityChecks: run.checks,
            notes: run.notes,
            duration: ContinuousClock.now - started
        )
    }

    private func cleanUp(_ run: ContractRun) async {
        let finished = try? await TimeLimit.run(harness.waitTimeLimit) {
            await run.cleanUp()
            return true
        }
        if finished == nil {
            run.note("Cleanup did not finish within \(harness.waitTimeLimit).")
        }
    }
}
