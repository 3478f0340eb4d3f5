import Switchyard

/// What a backend's tests hand the contract suite: how to reach the broker under test, how to break
/// it, and how long to wait for it.
///
/// Every case asks ``makeBackend`` for a client and works on topics and groups named by
/// ``uniqueName(_:)``, so runs never see each other's messages, even on a shared broker.
public struct ContractHarness: Sendable {
    /// Returns a client of the broker under test.
    ///
    /// Each call gives another client of the same broker, as a restarted process would get; returning
    /// the same instance every time is fine. The suite calls `shutdown()` on every client it gets when
    /// the case ends, so `shutdown()` must tolerate being called more than once.
    public var makeBackend: @Sendable () async throws -> any MessagingBackend

    /// Returns a client whose broker is down from the start, or `nil` when the backend cannot arrange
    /// that; case 20 is then skipped with that reason.
    public var makeUnreachableBackend: (@Sendable () async throws -> any MessagingBackend)?

    /// Takes the broker under test down and brings it back, returning once it accepts work again, or
    /// `nil` when the backend has no such fault hook; case 21 is then skipped with that reason.
    public var restartBroker: (@Sendable () async throws -> Void)?

    /// Starts every topic and group name the suite creates. Letters, digits, `.`, `_` and `-` only.
    public var namePrefix: String

    /// The most one case may take before it fails as hung.
    public var caseTimeLimit: Duration

    /// The most the suite waits for one expected thing: a set of messages, a closing receive, an error
    /// from a broker that is down.
    public var waitTimeLimit: Duration

    /// How long the suite listens to be sure that nothing more arrives.
    public var quietPeriod: Duration

    /// How long a receive or send the suite cancelled may take to end. What it returns in that time
    /// still counts, so that a message taken at the last moment cannot go unnoticed.
    public var cancellationGrace: Duration

    /// Creates a harness.
    ///
    /// The defaults suit a real broker: each case within a minute and each wait within 20 seconds.
    /// An in-memory backend can use much shorter limits.
    public init(
        namePrefix: String = "contract",
        caseTimeLimit: Duration = .seconds(60),
        waitTimeLimit: Duration = .seconds(20),
        quietPeriod: Duration = .milliseconds(500),
        cancellationGrace: Duration = .seconds(1),
        makeBackend: @escaping @Sendable () async throws -> any MessagingBackend,
        makeUnreachableBackend: (@Sendable () async throws -> any MessagingBackend)? = nil,
        restartBroker: (@Sendable () async throws -> Void)? = nil
    ) {
        self.namePrefix = namePrefix
        self.caseTimeLimit = caseTimeLimit
        self.waitTimeLimit = waitTimeLimit
        self.quietPeriod = quietPeriod
        self.cancellationGrace = cancellationGrace
        self.makeBackend = makeBackend
        self.makeUnreachableBackend = makeUnreachableBackend
        self.restartBroker = restartBroker
    }

    /// A topic or group name that no other run uses: the prefix, the label and a random suffix.
    public func uniqueName(_ label: String) -> String {
        "\(namePrefix)-\(label)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }
}
