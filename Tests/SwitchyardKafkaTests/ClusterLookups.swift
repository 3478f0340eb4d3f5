import CRdKafka
import Switchyard
import SwitchyardTestSupport

@testable import SwitchyardKafka

/// Runs `body` with a short-lived consumer-type client of the cluster at `bootstrapServers`, made with
/// `properties`, on a thread of its own; `nil` when the client cannot be made. For lookups the backend
/// does not offer.
private func withLookupClient<Value: Sendable>(
    _ bootstrapServers: String,
    properties: [(String, String)] = [],
    _ body: @escaping @Sendable (OpaquePointer) -> Value?
) async throws -> Value? {
    try await DedicatedThread.run(name: "kafka-test-look") {
        guard let client = try? RDKafkaClient(RD_KAFKA_CONSUMER, properties: [("bootstrap.servers", bootstrapServers)] + properties, events: nil, what: "lookup client")
        else { return nil }
        return withExtendedLifetime(client) { body(client.pointer) }
    }
}

/// The sum of the offsets `group` has committed on partitions `0..<partitions` of `topic`: the number
/// of messages it has committed, when the partitions started at offset 0. `nil` when the cluster does
/// not answer.
func committedMessages(_ group: String, topic: String, partitions: Int, bootstrapServers: String) async throws -> Int64? {
    try await withLookupClient(bootstrapServers, properties: [("group.id", group)]) { client in
        let list = RDKafkaPartitionList(capacity: partitions)
        for partition in 0..<partitions {
            list.add(topic, partition: Int32(partition), offset: switchyard_offset_invalid)
        }
        return list.withList { list -> Int64? in
            guard rd_kafka_committed(client, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            return (0..<Int(list.pointee.cnt)).reduce(0) { sum, index in sum + max(0, list.pointee.elems[index].offset) }
        }
    }
}
