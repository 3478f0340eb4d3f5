/// What one kind of connection (publisher, consumer, topology) does with its session. Its methods
/// run only on the connection's owner thread, so a role keeps its state without locks.
protocol ConnectionRole: AnyObject, SendableMetatype {
    /// Prepares a fresh session: channels, confirm mode, topology, consumers. Called after the first
    /// connect and after every reconnect.
    func attach(_ session: AMQPSession) throws(AMQPFailure)

    /// The session is gone; `failure` says why. Work in flight is put back or failed here.
    func detach(because failure: AMQPFailure)

    /// Handles one event the broker sent.
    func handle(_ event: AMQPEvent, on session: AMQPSession) throws(AMQPFailure)

    /// Writes work that is waiting for the connection, such as publishes within the confirm window.
    func pump(_ session: AMQPSession) throws(AMQPFailure)

    /// Fails work whose deadline has passed, connected or not.
    func expire(now: ContinuousClock.Instant)

    /// The earliest deadline of waiting work, so the owner wakes up for it.
    var nextDeadline: ContinuousClock.Instant? { get }

    /// The owner is stopping: wind down on `session` (when connected) and fail whatever is still
    /// waiting. The session is closed afterwards.
    func stop(_ session: AMQPSession?)
}

extension ConnectionRole {
    /// Roles with nothing waiting to be written have nothing to pump.
    func pump(_ session: AMQPSession) throws(AMQPFailure) {}

    /// Roles without deadlines have nothing to expire.
    func expire(now: ContinuousClock.Instant) {}

    var nextDeadline: ContinuousClock.Instant? { nil }
}
