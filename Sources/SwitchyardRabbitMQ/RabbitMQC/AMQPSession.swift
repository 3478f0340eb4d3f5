import CRabbitMQ
import Glibc
import Switchyard

/// One open AMQP connection through rabbitmq-c.
///
/// rabbitmq-c is not thread-safe, so a session is created, used and closed by one connection owner
/// thread only (see ``ConnectionOwner``); it is deliberately not `Sendable`. Every call is bounded by a
/// timeout, so no call blocks its thread indefinitely.
final class AMQPSession {
    private let state: amqp_connection_state_t
    private let endpoint: RabbitMQEndpoint
    /// The negotiated heartbeat interval; zero when heartbeats are off.
    let heartbeat: Duration
    private var lastHeard: ContinuousClock.Instant
    private var lastHeartbeatSent: ContinuousClock.Instant
    private var content: PendingContent?
    private var openChannels = Set<UInt16>()
    private var closed = false

    /// A method whose content header and body frames are still arriving.
    private struct PendingContent {
        enum Method {
            case deliver(tag: UInt64, redelivered: Bool, routingKey: [UInt8])
            case returned(replyCode: UInt16, replyText: String)
        }
        var method: Method
        var properties = WireProperties()
        var expected: UInt64?
        var body: [UInt8] = []
    }

    /// Connects, logs in and returns the session; fails within the connection timeout.
    init(endpoint: RabbitMQEndpoint, settings: ConnectionSettings) throws(AMQPFailure) {
        guard let state = amqp_new_connection() else {
            throw AMQPFailure(SwitchyardError(.internalError, "rabbitmq-c could not allocate a connection. The process may be out of memory."), breaksSession: true)
        }
        self.state = state
        self.endpoint = endpoint
        do {
            try Self.openSocket(state, endpoint: endpoint, settings: settings)
            var limit = timeval(settings.connectTimeout)
            _ = amqp_set_handshake_timeout(state, &limit)
            var rpcLimit = timeval(settings.rpcTimeout)
            _ = amqp_set_rpc_timeout(state, &rpcLimit)
            let seconds = Int32(settings.heartbeat.components.seconds)
            let reply = switchyard_amqp_login_plain(state, endpoint.virtualHost, 0, 131_072, seconds, endpoint.user, endpoint.password)
            try Self.checkLogin(reply, endpoint: endpoint)
        } catch {
            amqp_destroy_connection(state)
            throw error
        }
        heartbeat = .seconds(Int(amqp_get_heartbeat(state)))
        lastHeard = .now
        lastHeartbeatSent = .now
    }

    deinit {
        abandon()
    }

    private static func openSocket(_ state: amqp_connection_state_t, endpoint: RabbitMQEndpoint, settings: ConnectionSettings) throws(AMQPFailure) {
        let socket: OpaquePointer?
        if endpoint.usesTLS {
            socket = amqp_ssl_socket_new(state)
            if let socket {
                amqp_ssl_socket_set_verify_peer(socket, settings.verifyPeer ? 1 : 0)
                amqp_ssl_socket_set_verify_hostname(socket, settings.verifyPeer ? 1 : 0)
                if let authority = settings.certificateAuthorityFile, amqp_ssl_socket_set_cacert(socket, authority) != 0 {
                    throw AMQPFailure(
                        SwitchyardError(.invalidConfiguration, "The CA certificate file '\(authority)' could not be loaded. Check rabbitmq.caCertificate."),
                        breaksSession: true
                    )
                }
            }
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else {
            throw AMQPFailure(SwitchyardError(.internalError, "rabbitmq-c could not create a socket for \(endpoint)."), breaksSession: true)
        }
        var limit = timeval(settings.connectTimeout)
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &limit)
        guard status == AMQP_STATUS_OK.rawValue else {
            let reason = String(cString: amqp_error_string2(status))
            throw AMQPFailure(
                SwitchyardError(
                    .brokerUnavailable,
                    "Could not connect to RabbitMQ at \(endpoint): \(reason). Check that the broker is running and rabbitmq.url is right, then retry."
                ),
                breaksSession: true
            )
        }
    }

    private static func checkLogin(_ reply: amqp_rpc_reply_t, endpoint: RabbitMQEndpoint) throws(AMQPFailure) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            let text = close.reply_text.string
            let code: SwitchyardError.Code = [AMQPFailure.accessRefused, AMQPFailure.notAllowed].contains(close.reply_code) ? .authenticationFailed : .brokerUnavailable
            throw AMQPFailure(
                SwitchyardError(
                    code,
                    "RabbitMQ at \(endpoint) refused the login (\(close.reply_code) \(text)). Check the user, password and virtual host in rabbitmq.url, and the user's permissions on that virtual host.",
                    isRetriable: code == .brokerUnavailable
                ),
                breaksSession: true,
                replyCode: close.reply_code
            )
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_CONNECTION_CLOSED.rawValue:
            throw AMQPFailure(
                SwitchyardError(
                    .authenticationFailed,
                    "RabbitMQ at \(endpoint) closed the connection during login, which it does for wrong credentials or a virtual host the user may not use. Check rabbitmq.url."
                ),
                breaksSession: true
            )
        default:
            throw AMQPFailure(
                SwitchyardError(
                    .brokerUnavailable,
                    "Logging in to RabbitMQ at \(endpoint) failed: \(describe(reply)). Retry when the broker is reachable."
                ),
                breaksSession: true
            )
        }
    }

    // MARK: Channels and topology

    /// Opens `channel`.
    func openChannel(_ channel: UInt16) throws(AMQPFailure) {
        amqp_channel_open(state, channel)
        try checkReply("opening channel \(channel)", channel: channel, reopenOnChannelError: false)
        openChannels.insert(channel)
    }

    /// Puts `channel` in publisher-confirm mode.
    func selectConfirms(on channel: UInt16) throws(AMQPFailure) {
        amqp_confirm_select(state, channel)
        try checkReply("enabling publisher confirms", channel: channel, reopenOnChannelError: false)
    }

    /// Declares a durable exchange, or with `passive` only checks that it exists. A channel error
    /// (such as `NOT_FOUND`) reopens `channel` and throws with the broker's reply code.
    func declareExchange(_ name: String, type: String, passive: Bool, on channel: UInt16) throws(AMQPFailure) {
        name.withAMQPBytes { exchange in
            type.withAMQPBytes { kind in
                _ = amqp_exchange_declare(state, channel, exchange, kind, passive ? 1 : 0, 1, 0, 0, amqp_empty_table)
            }
        }
        try checkReply("declaring exchange '\(name)'", channel: channel, reopenOnChannelError: true)
    }

    /// Declares a queue and returns its name, which the broker chooses when `name` is empty.
    func declareQueue(_ name: String, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: [WireHeader], on channel: UInt16) throws(AMQPFailure) -> String {
        let table = WireProperties(headers: arguments)
        var declared: String?
        table.withCTable { arguments in
            name.withAMQPBytes { queue in
                if let ok = amqp_queue_declare(state, channel, queue, 0, durable ? 1 : 0, exclusive ? 1 : 0, autoDelete ? 1 : 0, arguments) {
                    declared = ok.pointee.queue.string
                }
            }
        }
        try checkReply("declaring queue '\(name)'", channel: channel, reopenOnChannelError: true)
        return declared ?? name
    }

    /// Deletes an exchange; RabbitMQ answers a missing one as deleted.
    func deleteExchange(_ name: String, on channel: UInt16) throws(AMQPFailure) {
        name.withAMQPBytes { exchange in
            _ = amqp_exchange_delete(state, channel, exchange, 0)
        }
        try checkReply("deleting exchange '\(name)'", channel: channel, reopenOnChannelError: true)
    }

    /// Deletes a queue and the messages in it; RabbitMQ answers a missing one as deleted.
    func deleteQueue(_ name: String, on channel: UInt16) throws(AMQPFailure) {
        name.withAMQPBytes { queue in
            _ = amqp_queue_delete(state, channel, queue, 0, 0)
        }
        try checkReply("deleting queue '\(name)'", channel: channel, reopenOnChannelError: true)
    }

    /// Binds `queue` to `exchange` with `bindingKey`.
    func bindQueue(_ queue: String, to exchange: String, bindingKey: String, on channel: UInt16) throws(AMQPFailure) {
        queue.withAMQPBytes { queueBytes in
            exchange.withAMQPBytes { exchangeBytes in
                bindingKey.withAMQPBytes { key in
                    _ = amqp_queue_bind(state, channel, queueBytes, exchangeBytes, key, amqp_empty_table)
                }
            }
        }
        try checkReply("binding queue '\(queue)' to exchange '\(exchange)'", channel: channel, reopenOnChannelError: true)
    }

    /// Limits the unacknowledged deliveries on `channel` to `prefetch`.
    func setPrefetch(_ prefetch: UInt16, on channel: UInt16) throws(AMQPFailure) {
        amqp_basic_qos(state, channel, 0, prefetch, 0)
        try checkReply("setting the prefetch to \(prefetch)", channel: channel, reopenOnChannelError: false)
    }

    /// Starts consuming `queue` with manual acks and returns the consumer tag.
    func consume(_ queue: String, arguments: [WireHeader], on channel: UInt16) throws(AMQPFailure) -> String {
        let table = WireProperties(headers: arguments)
        var tag = ""
        table.withCTable { arguments in
            queue.withAMQPBytes { queueBytes in
                if let ok = amqp_basic_consume(state, channel, queueBytes, amqp_empty_bytes, 0, 0, 0, arguments) {
                    tag = ok.pointee.consumer_tag.string
                }
            }
        }
        try checkReply("consuming queue '\(queue)'", channel: channel, reopenOnChannelError: false)
        return tag
    }

    /// Stops the consumer `tag`; no delivery follows the broker's answer.
    func cancel(_ tag: String, on channel: UInt16) throws(AMQPFailure) {
        tag.withAMQPBytes { tagBytes in
            _ = amqp_basic_cancel(state, channel, tagBytes)
        }
        try checkReply("cancelling consumer '\(tag)'", channel: channel, reopenOnChannelError: false)
    }

    // MARK: Publishing and settling

    /// Writes one mandatory message to `exchange`. The outcome arrives later as a confirm event.
    func publish(to exchange: String, routingKey: [UInt8], properties: WireProperties, body: [UInt8], on channel: UInt16) throws(AMQPFailure) {
        let status = exchange.withAMQPBytes { exchangeBytes in
            routingKey.withAMQPBytes { key in
                body.withAMQPBytes { bodyBytes in
                    properties.withCProperties { cProperties in
                        amqp_basic_publish(state, channel, exchangeBytes, key, 1, 0, cProperties, bodyBytes)
                    }
                }
            }
        }
        try checkStatus(status, "publishing to exchange '\(exchange)'")
    }

    /// Acknowledges one delivery, or with `multiple` every unacknowledged one up to it on `channel`.
    func ack(_ deliveryTag: UInt64, multiple: Bool = false, on channel: UInt16) throws(AMQPFailure) {
        try checkStatus(amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), "acknowledging delivery \(deliveryTag)")
    }

    /// Returns one delivery to its queue.
    func requeue(_ deliveryTag: UInt64, on channel: UInt16) throws(AMQPFailure) {
        try checkStatus(amqp_basic_nack(state, channel, deliveryTag, 0, 1), "requeueing delivery \(deliveryTag)")
    }

    // MARK: Reading

    /// The socket to poll for input.
    var socket: Int32 { amqp_get_sockfd(state) }

    /// Returns the next complete event without waiting, or `nil` when no more input is ready.
    ///
    /// Reads until the socket and rabbitmq-c's buffers are empty, so after `nil` it is safe to `poll`
    /// the socket. Heartbeat frames are consumed on the way.
    func nextEvent() throws(AMQPFailure) -> AMQPEvent? {
        while true {
            var frame = amqp_frame_t()
            var noWait = timeval(tv_sec: 0, tv_usec: 0)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &noWait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
            try checkStatus(status, "reading from the broker")
            lastHeard = .now
            if let event = try accept(frame) { return event }
        }
    }

    /// Records that the socket showed input, which proves the broker alive even when the input is
    /// only a heartbeat that rabbitmq-c consumes.
    func heardFromBroker() {
        lastHeard = .now
    }

    private func accept(_ frame: amqp_frame_t) throws(AMQPFailure) -> AMQPEvent? {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            return try acceptMethod(frame.payload.method, channel: frame.channel)
        case AMQP_FRAME_HEADER:
            guard var pending = content else { return nil }
            if let decoded = frame.payload.properties.decoded {
                pending.properties = WireProperties(copying: decoded.assumingMemoryBound(to: amqp_basic_properties_t.self))
            }
            pending.expected = frame.payload.properties.body_size
            content = pending
            return completedContent()
        case AMQP_FRAME_BODY:
            guard content != nil else { return nil }
            content?.body.append(contentsOf: frame.payload.body_fragment.array)
            return completedContent()
        default:
            return nil
        }
    }

    private func completedContent() -> AMQPEvent? {
        guard let pending = content, let expected = pending.expected, UInt64(pending.body.count) >= expected else { return nil }
        content = nil
        switch pending.method {
        case .deliver(let tag, let redelivered, let routingKey):
            return .delivered(IncomingDelivery(
                deliveryTag: tag, redelivered: redelivered, routingKey: routingKey,
                properties: pending.properties, body: pending.body
            ))
        case .returned(let replyCode, let replyText):
            return .returned(replyCode: replyCode, replyText: replyText, properties: pending.properties)
        }
    }

    private func acceptMethod(_ method: amqp_method_t, channel: UInt16) throws(AMQPFailure) -> AMQPEvent? {
        switch method.id {
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .confirmed(tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .rejected(tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case AMQP_BASIC_DELIVER_METHOD:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            content = PendingContent(method: .deliver(
                tag: deliver.delivery_tag, redelivered: deliver.redelivered != 0, routingKey: deliver.routing_key.array
            ))
            return nil
        case AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            content = PendingContent(method: .returned(replyCode: returned.reply_code, replyText: returned.reply_text.string))
            return nil
        case AMQP_BASIC_CANCEL_METHOD:
            return .consumerCancelled
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return .channelClosed(channel: channel, replyCode: close.reply_code, replyText: close.reply_text.string)
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ closed the connection (\(close.reply_code) \(close.reply_text.string)). Switchyard reconnects; retry if this call failed."),
                breaksSession: true,
                replyCode: close.reply_code
            )
        default:
            return nil
        }
    }

    // MARK: Liveness and shutdown

    /// Sends a heartbeat when one is due, and fails when the broker has been silent for two
    /// heartbeat intervals.
    func keepAlive(now: ContinuousClock.Instant) throws(AMQPFailure) {
        guard heartbeat > .zero else { return }
        if now - lastHeard > heartbeat * 2 {
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ at \(endpoint) sent nothing for \(heartbeat * 2), so the connection is presumed dead. Switchyard reconnects."),
                breaksSession: true
            )
        }
        if now - lastHeartbeatSent >= heartbeat / 2 {
            var frame = amqp_frame_t()
            frame.frame_type = UInt8(AMQP_FRAME_HEARTBEAT)
            frame.channel = 0
            try checkStatus(amqp_send_frame(state, &frame), "sending a heartbeat")
            lastHeartbeatSent = now
        }
    }

    /// When the next heartbeat must be sent, or `nil` without heartbeats.
    var nextHeartbeat: ContinuousClock.Instant? {
        heartbeat > .zero ? lastHeartbeatSent + heartbeat / 2 : nil
    }

    /// Frees the memory rabbitmq-c kept for frames already handled.
    func releaseBuffers() {
        amqp_maybe_release_buffers(state)
    }

    /// Closes the channels, then the connection, politely (each bounded by the RPC timeout), and frees
    /// it. Idempotent.
    ///
    /// Channels are closed first because the broker applies a channel's earlier frames, such as acks,
    /// before it answers its close; closing only the connection may drop acks still being processed.
    func close() {
        guard !closed else { return }
        for channel in openChannels.sorted() {
            _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
        }
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        abandon()
    }

    /// Frees the connection without a handshake, for a connection that has already failed.
    /// Idempotent.
    func abandon() {
        guard !closed else { return }
        closed = true
        amqp_destroy_connection(state)
    }

    // MARK: Replies

    private func checkStatus(_ status: Int32, _ what: String) throws(AMQPFailure) {
        guard status < 0 else { return }
        let reason = String(cString: amqp_error_string2(status))
        let code: SwitchyardError.Code = status == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .brokerUnavailable
        throw AMQPFailure(
            SwitchyardError(code, "Lost the connection to RabbitMQ at \(endpoint) while \(what): \(reason). Switchyard reconnects; retry."),
            breaksSession: true
        )
    }

    private func checkReply(_ what: String, channel: UInt16, reopenOnChannelError: Bool) throws(AMQPFailure) {
        let reply = amqp_get_rpc_reply(state)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            let code = close.reply_code
            let text = close.reply_text.string
            var ok = amqp_channel_close_ok_t(dummy: 0)
            let sent = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
            openChannels.remove(channel)
            var breaks = !reopenOnChannelError || sent < 0
            if !breaks {
                amqp_channel_open(state, channel)
                breaks = amqp_get_rpc_reply(state).reply_type != AMQP_RESPONSE_NORMAL
                if !breaks { openChannels.insert(channel) }
            }
            throw AMQPFailure(Self.channelError(code, text, while: what), breaksSession: breaks, replyCode: code)
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            throw AMQPFailure(
                SwitchyardError(.brokerUnavailable, "RabbitMQ closed the connection while \(what) (\(close.reply_code) \(close.reply_text.string)). Switchyard reconnects; retry."),
                breaksSession: true,
                replyCode: close.reply_code
            )
        default:
            let timedOut = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT.rawValue
            throw AMQPFailure(
                SwitchyardError(
                    timedOut ? .timeout : .brokerUnavailable,
                    "RabbitMQ at \(endpoint) did not answer while \(what): \(Self.describe(reply)). Switchyard reconnects; retry."
                ),
                breaksSession: true
            )
        }
    }

    private static func channelError(_ code: UInt16, _ text: String, while what: String) -> SwitchyardError {
        switch code {
        case AMQPFailure.notFound:
            return SwitchyardError(.topicNotFound, "RabbitMQ answered NOT_FOUND while \(what): \(text). Create the topic with ensureTopic first.")
        case AMQPFailure.preconditionFailed:
            return SwitchyardError(
                .invalidConfiguration,
                "RabbitMQ refused \(what) because it already exists with other settings: \(text). Use the settings it was created with (rabbitmq.queueType, ordering), or delete it."
            )
        case AMQPFailure.accessRefused:
            return SwitchyardError(.authenticationFailed, "RabbitMQ refused \(what): \(text). Grant the user configure, write and read permissions on the virtual host.")
        default:
            return SwitchyardError(.rejectedByBroker, "RabbitMQ refused \(what) (\(code) \(text)).")
        }
    }

    private static func describe(_ reply: amqp_rpc_reply_t) -> String {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION: return String(cString: amqp_error_string2(reply.library_error))
        case AMQP_RESPONSE_NONE: return "no reply"
        default: return "method \(reply.reply.id)"
        }
    }
}

extension String {
    func withAMQPBytes<R>(_ body: (amqp_bytes_t) -> R) -> R {
        Array(utf8).withAMQPBytes(body)
    }
}

extension Array where Element == UInt8 {
    func withAMQPBytes<R>(_ body: (amqp_bytes_t) -> R) -> R {
        withUnsafeBytes { raw in
            body(amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress)))
        }
    }
}
