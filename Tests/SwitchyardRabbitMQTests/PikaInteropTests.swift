import Foundation
import Switchyard
import SwitchyardRabbitMQ
import SwitchyardTestSupport
import Testing

extension BrokerTests {
    /// Messages cross between Switchyard and pika, the Python AMQP client, intact in both directions.
    /// Needs `python3` with `pika` installed (`pip install pika`); fails without it.
    @Suite(.serialized)
    struct PikaInteropTests {
        /// Publishes one message with pika: argv = url, exchange, routing key, message id, body hex.
        private static let publish = """
            import sys, pika
            url, exchange, key, message_id, body = sys.argv[1:6]
            connection = pika.BlockingConnection(pika.URLParameters(url))
            channel = connection.channel()
            channel.confirm_delivery()
            properties = pika.BasicProperties(
                message_id=message_id, delivery_mode=2,
                headers={"trace": "abc-ü", "blob": bytes([0, 255, 1]), "count": 7})
            channel.basic_publish(exchange, key, bytes.fromhex(body), properties, mandatory=True)
            connection.close()
            """

        /// Declares a queue bound to the exchange with `#`: argv = url, exchange, queue.
        private static let bind = """
            import sys, pika
            url, exchange, queue = sys.argv[1:4]
            connection = pika.BlockingConnection(pika.URLParameters(url))
            channel = connection.channel()
            channel.queue_declare(queue, durable=True)
            channel.queue_bind(queue, exchange, "#")
            connection.close()
            """

        /// Gets one message with pika and prints it as JSON: argv = url, queue.
        private static let get = """
            import sys, json, pika
            url, queue = sys.argv[1:3]
            connection = pika.BlockingConnection(pika.URLParameters(url))
            channel = connection.channel()
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            def hexed(value):
                if isinstance(value, str): return value.encode("utf-8").hex()
                if isinstance(value, bytes): return value.hex()
                if isinstance(value, list): return [hexed(item) for item in value]
                return str(value).encode("utf-8").hex()
            print(json.dumps({
                "message_id": properties.message_id,
                "routing_key": method.routing_key,
                "delivery_mode": properties.delivery_mode,
                "timestamp": properties.timestamp,
                "content_type": properties.content_type,
                "headers": {name: hexed(value) for name, value in (properties.headers or {}).items()},
                "body": body.hex(),
            }))
            connection.close()
            """

        private struct PikaMessage: Decodable {
            enum HeaderValue: Decodable, Equatable {
                case single(String)
                case list([String])

                init(from decoder: any Decoder) throws {
                    let container = try decoder.singleValueContainer()
                    if let list = try? container.decode([String].self) {
                        self = .list(list)
                    } else {
                        self = .single(try container.decode(String.self))
                    }
                }
            }

            var message_id: String
            var routing_key: String
            var delivery_mode: Int
            var timestamp: Int
            var content_type: String
            var headers: [String: HeaderValue]
            var body: String
        }

        @discardableResult
        private static func python(_ source: String, _ arguments: String...) async throws -> String {
            let result = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", source] + arguments, within: .seconds(60))
            guard result.termination.succeeded else {
                throw RabbitMQSetupError(description: "python3 with pika ended with \(result.termination): \(result.errors)")
            }
            return result.output
        }

        private static func hex(_ bytes: [UInt8]) -> String {
            bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }

        @Test func aMessagePublishedByPikaArrivesIntact() async throws {
            let backend = try await TestBroker.backend()
            let topic = "pika-in-\(UInt32.random(in: 0...UInt32.max))"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let consumer = try await backend.makeConsumer(topic: topic, options: ConsumerOptions(group: "g"))
            let body: [UInt8] = [0, 1, 2, 0xFE, 0xFF] + Array("binary ✓".utf8)
            let id = "pika-\(UInt32.random(in: 0...UInt32.max))"
            try await Self.python(Self.publish, try await TestBroker.url(), topic, "BTC-USD", id, Self.hex(body))

            let received = try await consumer.receive(maxMessages: 10)
            let message = try #require(received.first?.message)
            #expect(received.count == 1)
            #expect(message.id == id)
            #expect(message.keyString == "BTC-USD")
            #expect(message.payload == body)
            #expect(message.header("trace") == Array("abc-ü".utf8))
            #expect(message.header("blob") == [0, 255, 1])
            #expect(message.header("count") == Array("7".utf8))
            for delivery in received { try await delivery.ack() }
            try await consumer.close()
        }

        @Test func aMessageFromSwitchyardIsReadByPikaIntact() async throws {
            let backend = try await TestBroker.backend()
            let topic = "pika-out-\(UInt32.random(in: 0...UInt32.max))"
            let queue = topic + ".pika"
            try await backend.ensureTopic(TopicSpec(name: topic))
            let url = try await TestBroker.url()
            try await Self.python(Self.bind, url, topic, queue)

            let producer = try await backend.makeProducer()
            let sent = Message(
                key: [UInt8]("ETH-USD".utf8),
                payload: [0, 0xFF, 0x10] + [UInt8]("ünïcode".utf8),
                headers: [
                    MessageHeader(name: "trace", value: "xyz"),
                    MessageHeader(name: "binary", value: [0, 0xFE]),
                    MessageHeader(name: "repeated", value: "one"),
                    MessageHeader(name: "repeated", value: "two"),
                ]
            )
            let receipt = try await producer.send(sent, to: topic)
            try await producer.close()

            let json = try await Self.python(Self.get, url, queue)
            let read = try JSONDecoder().decode(PikaMessage.self, from: json.data(using: .utf8) ?? Data())
            #expect(read.message_id == receipt.messageID)
            #expect(read.routing_key == "ETH-USD")
            #expect(read.delivery_mode == 2)
            #expect(read.content_type == "application/octet-stream")
            #expect(read.body == Self.hex(sent.payload))
            #expect(read.headers["trace"] == .single(Self.hex(Array("xyz".utf8))))
            #expect(read.headers["binary"] == .single("00fe"))
            #expect(read.headers["repeated"] == .list([Self.hex(Array("one".utf8)), Self.hex(Array("two".utf8))]))
            #expect(read.headers["message-id"] == .single(Self.hex(Array(receipt.messageID.utf8))))
            #expect(read.headers["published-at"] != nil)
            #expect(read.timestamp > 0)
        }
    }
}
