/// How a connection is made and kept alive; the parts of ``RabbitMQBackend/Configuration`` that every
/// connection shares.
struct ConnectionSettings: Sendable, Hashable {
    var connectTimeout: Duration
    var rpcTimeout: Duration
    var heartbeat: Duration
    var reconnectDelay: ClosedRange<Duration>
    var verifyPeer: Bool
    var certificateAuthorityFile: String?
}
