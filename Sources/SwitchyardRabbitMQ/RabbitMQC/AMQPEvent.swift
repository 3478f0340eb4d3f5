/// Something the broker sent on its own initiative rather than as the reply to a call.
enum AMQPEvent {
    /// A publisher confirm: the broker took responsibility for the message, or for every message up
    /// to it when `multiple`.
    case confirmed(tag: UInt64, multiple: Bool)
    /// A negative publisher confirm: the broker could not take responsibility.
    case rejected(tag: UInt64, multiple: Bool)
    /// A mandatory message that no queue took. Its confirm follows.
    case returned(replyCode: UInt16, replyText: String, properties: WireProperties)
    /// A message for a consumer.
    case delivered(IncomingDelivery)
    /// The broker closed a channel.
    case channelClosed(channel: UInt16, replyCode: UInt16, replyText: String)
    /// The broker cancelled a consumer, for example because its queue was deleted.
    case consumerCancelled
}

/// A message delivered to a consumer, copied out of rabbitmq-c's buffers.
struct IncomingDelivery: Sendable {
    var deliveryTag: UInt64
    var redelivered: Bool
    var routingKey: [UInt8]
    var properties: WireProperties
    var body: [UInt8]
}
