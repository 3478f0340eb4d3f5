import Switchyard

/// The two brokers a rehearsal migrates between, and the fault it injects into the new one.
///
/// Every writer and every consumer of every phase gets a fresh client from ``makeOld`` or ``makeNew``,
/// as a process restarted with the next phase's configuration would build one; the brokers themselves
/// (their queues, partitions and consumer groups) live for the whole rehearsal.
package struct RehearsalBrokers: Sendable {
    /// The old broker's backend name, e.g. `rabbitmq`.
    package var oldName: String
    /// The new broker's backend name, e.g. `kafka`.
    package var newName: String
    /// A new client of the old broker.
    package var makeOld: @Sendable () async throws(SwitchyardError) -> any MessagingBackend
    /// A new client of the new broker.
    package var makeNew: @Sendable () async throws(SwitchyardError) -> any MessagingBackend
    /// Takes the new broker down: every connection to it fails until ``bringNewUp``.
    package var takeNewDown: @Sendable () async -> Void
    /// Brings the new broker back.
    package var bringNewUp: @Sendable () async -> Void

    package init(
        oldName: String,
        newName: String,
        makeOld: @escaping @Sendable () async throws(SwitchyardError) -> any MessagingBackend,
        makeNew: @escaping @Sendable () async throws(SwitchyardError) -> any MessagingBackend,
        takeNewDown: @escaping @Sendable () async -> Void,
        bringNewUp: @escaping @Sendable () async -> Void
    ) {
        self.oldName = oldName
        self.newName = newName
        self.makeOld = makeOld
        self.makeNew = makeNew
        self.takeNewDown = takeNewDown
        self.bringNewUp = bringNewUp
    }

    package func name(of broker: RehearsalPhase.Broker) -> String {
        broker == .old ? oldName : newName
    }

    package func make(_ broker: RehearsalPhase.Broker) async throws(SwitchyardError) -> any MessagingBackend {
        broker == .old ? try await makeOld() : try await makeNew()
    }
}
