#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns values into payload bytes and back. JSON is built in; any other format (Protobuf,
/// MessagePack) conforms the same way.
public protocol MessageCodec<Value>: Sendable {
    associatedtype Value: Sendable
    /// The MIME type written to the `content-type` header.
    var contentType: String { get }
    func encode(_ value: Value) throws -> [UInt8]
    func decode(_ bytes: [UInt8]) throws -> Value
}

/// Encodes `Codable` values as JSON.
public struct JSONMessageCodec<Value: Codable & Sendable>: MessageCodec {
    public var contentType: String { "application/json" }

    public init() {}

    public func encode(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    public func decode(_ bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(bytes))
    }
}

/// A topic whose messages carry values of one type, encoded by a codec.
///
/// ```swift
/// let prices = Topic<PriceTick>.json("prices")
/// try await producer.send(tick, key: tick.symbol, to: prices)
/// for try await delivery in consumer {
///     let tick = try delivery.decode(prices)
///     try await delivery.ack()
/// }
/// ```
public struct Topic<Value: Sendable>: Sendable {
    /// The topic name.
    public let name: String
    /// The codec for its payloads.
    public let codec: any MessageCodec<Value>

    /// The header that names the payload's format.
    public static var contentTypeHeader: String { "content-type" }

    public init(_ name: String, codec: any MessageCodec<Value>) {
        self.name = name
        self.codec = codec
    }

    /// A message carrying `value`, with a `content-type` header from the codec.
    public func encode(_ value: Value, key: String? = nil, headers: [MessageHeader] = []) throws(SwitchyardError) -> Message {
        let payload: [UInt8]
        do {
            payload = try codec.encode(value)
        } catch {
            throw SwitchyardError(.invalidMessage, "Could not encode a \(Value.self) for topic '\(name)': \(error)")
        }
        return Message(
            key: key.map { Array($0.utf8) },
            payload: payload,
            headers: headers + [MessageHeader(name: Self.contentTypeHeader, value: codec.contentType)]
        )
    }

    /// The value a message carries.
    public func decode(_ message: Message) throws(SwitchyardError) -> Value {
        do {
            return try codec.decode(message.payload)
        } catch {
            throw SwitchyardError(.invalidMessage, "Message \(message.id) on topic '\(name)' is not a valid \(Value.self): \(error)")
        }
    }
}

extension Topic where Value: Codable {
    /// A topic whose values are JSON.
    public static func json(_ name: String) -> Topic<Value> {
        Topic(name, codec: JSONMessageCodec<Value>())
    }
}
