import Foundation
import SwiftProtobuf
import Switchyard

/// One message of a topic's stream in the gateway, converted once and shared by every subscriber.
struct StreamEntry: Sendable {
    /// The message's place in its topic hub's stream: 1, 2, 3, ... for one epoch.
    let sequence: UInt64
    /// The message key, which subscriptions filter and conflate by.
    let key: [UInt8]?
    /// The message as clients receive it, its position included.
    let wire: Switchyard_V1_GatewayMessage

    init(message: Switchyard.Message, sequence: UInt64, epoch: UInt64) {
        self.sequence = sequence
        key = message.key
        var wire = Switchyard_V1_GatewayMessage()
        wire.id = message.id
        if let key = message.key { wire.key = Data(key) }
        wire.payload = Data(message.payload)
        wire.headers = message.headers.map { header in
            var converted = Switchyard_V1_Header()
            converted.name = header.name
            converted.value = Data(header.value)
            return converted
        }
        if let microseconds = message.publishedAt {
            wire.publishedAt = Google_Protobuf_Timestamp(
                seconds: microseconds / 1_000_000,
                nanos: Int32(microseconds % 1_000_000) * 1000
            )
        }
        wire.position = StreamPosition(epoch: epoch, sequence: sequence).encoded
        self.wire = wire
    }
}

/// Where a message sits in one topic hub's stream: the hub's epoch and the message's sequence number.
///
/// Clients hold it as opaque bytes (`GatewayMessage.position`) and hand it back to resume. The epoch
/// changes whenever a hub starts, so a position from another gateway process, or from before a hub
/// restarted, is recognised as such rather than misread.
struct StreamPosition: Sendable, Hashable {
    let epoch: UInt64
    let sequence: UInt64

    init(epoch: UInt64, sequence: UInt64) {
        self.epoch = epoch
        self.sequence = sequence
    }

    /// Decodes a client's `resume_from`; `nil` when the bytes are not a position.
    init?(encoded bytes: Data) {
        guard let decoded = try? Switchyard_V1_StreamPosition(serializedBytes: bytes), decoded.epoch != 0 else {
            return nil
        }
        self.init(epoch: decoded.epoch, sequence: decoded.sequence)
    }

    var encoded: Data {
        var position = Switchyard_V1_StreamPosition()
        position.epoch = epoch
        position.sequence = sequence
        // Encoding a message of two integers cannot fail.
        return (try? position.serializedBytes()) ?? Data()
    }
}

extension Switchyard.Message {
    /// A gateway message as a core message: a fresh id when it has none, and its `published_at` when
    /// set. `position` and `sequence` are the gateway's, not the message's, and are dropped.
    package init(_ wire: Switchyard_V1_GatewayMessage) {
        self.init(
            id: wire.id.isEmpty ? MessageID.generate() : wire.id,
            key: wire.hasKey ? [UInt8](wire.key) : nil,
            payload: [UInt8](wire.payload),
            headers: wire.headers.map { MessageHeader(name: $0.name, value: [UInt8]($0.value)) },
            publishedAt: wire.hasPublishedAt ? wire.publishedAt.seconds * 1_000_000 + Int64(wire.publishedAt.nanos / 1000) : nil
        )
    }

    /// The message a `Publish` request carries. Its `published_at` is ignored: the producer stamps the
    /// send time.
    ///
    /// - Throws: `SwitchyardError` `invalidMessage` when the request has no message.
    init(publishing request: Switchyard_V1_PublishRequest) throws(SwitchyardError) {
        guard request.hasMessage else {
            throw SwitchyardError(.invalidMessage, "the publish request has no message: set PublishRequest.message")
        }
        var wire = request.message
        wire.clearPublishedAt()
        self.init(wire)
    }
}
