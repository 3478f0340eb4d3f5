import Switchyard

/// A failure on a connection's owner thread: the error to report, and whether the session that raised
/// it can still be used.
struct AMQPFailure: Error {
    /// What callers are told.
    var error: SwitchyardError
    /// Whether the socket or the connection is gone, so the owner must reconnect.
    var breaksSession: Bool
    /// The AMQP reply code, when the broker closed a channel or the connection.
    var replyCode: UInt16?

    init(_ error: SwitchyardError, breaksSession: Bool, replyCode: UInt16? = nil) {
        self.error = error
        self.breaksSession = breaksSession
        self.replyCode = replyCode
    }

    /// The broker's `NOT_FOUND` reply code.
    static let notFound: UInt16 = 404
    /// The broker's `ACCESS_REFUSED` reply code.
    static let accessRefused: UInt16 = 403
    /// The broker's `PRECONDITION_FAILED` reply code.
    static let preconditionFailed: UInt16 = 406
    /// The broker's `NOT_ALLOWED` reply code, sent for an unknown or forbidden virtual host.
    static let notAllowed: UInt16 = 530
}
