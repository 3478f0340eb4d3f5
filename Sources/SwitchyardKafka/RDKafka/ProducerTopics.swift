import CRdKafka
import Switchyard

/// The topic handles of one producer, one per topic, each made on the first send to its topic.
///
/// Making a handle also asks the cluster for the topic's metadata and waits for the answer (at most
/// `metadataWait`), so the first messages go straight to their partitions. Without it, a topic first
/// used after the producer's connections are up stays unknown to librdkafka until its next periodic
/// topic scan, up to a second later, and every message sent meanwhile waits for that scan. The lookup
/// only speeds things up: when it fails or times out, sending goes on and librdkafka finds the topic
/// (or reports it missing) as it would have anyway.
final class ProducerTopics: @unchecked Sendable {
    // @unchecked Sendable is safe: `client` is set once; librdkafka's topic and metadata calls are
    // thread-safe; the table of handles is behind its lock; and `destroyAll()` runs only once no send
    // can use a handle.

    /// A topic handle, passed between the thread that makes it and the sends that use it.
    private struct Handle: @unchecked Sendable {
        // @unchecked Sendable is safe: librdkafka's topic handles are reference-counted and thread-safe.
        let pointer: OpaquePointer
    }

    private enum Entry {
        case ready(Result<Handle, SwitchyardError>)
        case preparing([CheckedContinuation<Result<Handle, SwitchyardError>, Never>])
    }

    /// The producer's handle, owned by its poll thread, which calls `destroyAll()` before letting it go.
    private unowned let client: RDKafkaClient
    private let metadataWait: Duration
    private let entries = LockedValue([String: Entry]())

    /// The topics of the producer `client`; a metadata lookup waits at most `metadataWait`.
    init(client: RDKafkaClient, metadataWait: Duration) {
        self.client = client
        self.metadataWait = metadataWait
    }

    /// The handle for `topic`, made and looked up on first use; concurrent first sends share one lookup.
    /// Fails when librdkafka refuses the topic name.
    func handle(for topic: String) async throws(SwitchyardError) -> OpaquePointer {
        enum Step {
            case ready(Result<Handle, SwitchyardError>)
            case wait
            case prepare
        }
        let known: Result<Handle, SwitchyardError>? = entries.withLock { entries in
            if case .ready(let handle) = entries[topic] { return handle }
            return nil
        }
        if let known { return try known.get().pointer }
        let made = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Handle, SwitchyardError>, Never>) in
            let step = entries.withLock { entries -> Step in
                switch entries[topic] {
                case .ready(let handle):
                    return .ready(handle)
                case .preparing(var waiters):
                    waiters.append(continuation)
                    entries[topic] = .preparing(waiters)
                    return .wait
                case nil:
                    entries[topic] = .preparing([continuation])
                    return .prepare
                }
            }
            switch step {
            case .ready(let handle):
                continuation.resume(returning: handle)
            case .wait:
                break
            case .prepare:
                do throws(SwitchyardError) {
                    try DedicatedThread(name: "kafka-topic").start { [self] in prepare(topic) }
                } catch {
                    // Not remembered: a later send tries again once the process has threads to spare.
                    finish(topic, with: .failure(error), remembered: false)
                }
            }
        }
        return try made.get().pointer
    }

    /// Releases every handle. Call it once, after the last send, before destroying the client.
    func destroyAll() {
        let handles = entries.withLock { entries in
            defer { entries = [:] }
            return entries.values.compactMap { entry -> OpaquePointer? in
                if case .ready(.success(let handle)) = entry { return handle.pointer }
                return nil
            }
        }
        for handle in handles { rd_kafka_topic_destroy(handle) }
    }

    /// Makes the handle, waits for the topic's metadata, then hands the handle to every waiting send.
    private func prepare(_ topic: String) {
        let handle: Result<Handle, SwitchyardError>
        if let made = rd_kafka_topic_new(client.pointer, topic, nil) {
            // Only the wait matters: a failed lookup leaves the topic to librdkafka's own scan.
            _ = client.fetchMetadata(topic: made, timeoutMilliseconds: metadataWait.timeoutMilliseconds, context: "Looking up topic '\(topic)'")
            handle = .success(Handle(pointer: made))
        } else {
            handle = .failure(KafkaErrorMapping.error(rd_kafka_last_error(), "librdkafka refused the topic name '\(topic)'"))
        }
        finish(topic, with: handle, remembered: true)
    }

    /// Hands `handle` to every send waiting for `topic`, and records it for later sends if `remembered`.
    private func finish(_ topic: String, with handle: Result<Handle, SwitchyardError>, remembered: Bool) {
        let waiters = entries.withLock { entries in
            defer { entries[topic] = remembered ? .ready(handle) : nil }
            if case .preparing(let waiters) = entries[topic] { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume(returning: handle) }
    }
}
