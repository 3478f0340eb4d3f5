/// One phase of a migration from an old broker to a new one (see <doc:MigrationPhases>), as the rehearsal runs it: where the
/// writers send and where the consumers read.
package enum RehearsalPhase: Int, CaseIterable, Sendable {
    case oldOnly = 0
    case dualWrite = 1
    case dualWriteCompare = 2
    case newPrimary = 3
    case newOnly = 4

    /// One of the two brokers of a migration.
    package enum Broker: Sendable, Hashable {
        /// The broker migrated from (RabbitMQ).
        case old
        /// The broker migrated to (Kafka).
        case new
    }

    /// Where the phase's writers send.
    package enum Writes: Sendable, Hashable {
        /// To one broker.
        case single(Broker)
        /// To a primary that must acknowledge, with a copy (spooled on failure) to the secondary.
        case dual(primary: Broker, secondary: Broker)
    }

    package var writes: Writes {
        switch self {
        case .oldOnly: .single(.old)
        case .dualWrite, .dualWriteCompare: .dual(primary: .old, secondary: .new)
        case .newPrimary: .dual(primary: .new, secondary: .old)
        case .newOnly: .single(.new)
        }
    }

    /// The broker the application's consumers read: the primary.
    package var readSide: Broker {
        switch writes {
        case .single(let broker): broker
        case .dual(let primary, _): primary
        }
    }

    package var isDual: Bool {
        if case .dual = writes { return true }
        return false
    }

    /// A short name for the result line, e.g. `dual-write+compare`.
    package func title(old: String, new: String) -> String {
        switch self {
        case .oldOnly: "\(old)-only"
        case .dualWrite: "dual-write"
        case .dualWriteCompare: "dual-write+compare"
        case .newPrimary: "\(new)-primary"
        case .newOnly: "\(new)-only"
        }
    }
}
