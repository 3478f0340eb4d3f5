import Switchyard

/// What a rehearsal publishes: a sequence of messages, each due at a wall-clock time, published when it
/// falls due. `switchyard migrate rehearse` publishes the demo's simulated crypto market.
package protocol RehearsalTraffic: Sendable {
    /// When the next message falls due, in microseconds since the Unix epoch.
    var nextDue: Int64 { get }

    /// The message due at ``nextDue``; the one after it is due at the new ``nextDue``, no earlier.
    mutating func next() throws -> Message
}
