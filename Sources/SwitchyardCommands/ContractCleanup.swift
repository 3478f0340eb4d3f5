import Logging
import Switchyard

/// The topics and consumer groups a `switchyard contract` run created, so that it can remove them
/// from the broker afterwards.
final class ContractFootprint: Sendable {
    private let groupsByTopic = LockedValue<[String: Set<String>]>([:])

    func topic(_ topic: String) {
        groupsByTopic.withLock { groups in
            if groups[topic] == nil { groups[topic] = [] }
        }
    }

    func group(_ group: String?, on topic: String) {
        groupsByTopic.withLock { groups in
            if let group { groups[topic, default: []].insert(group) } else if groups[topic] == nil { groups[topic] = [] }
        }
    }

    /// Removes every recorded topic with its groups, where `backend` can remove topics.
    ///
    /// - Returns: one line saying what was removed, or why nothing was.
    func remove(with backend: any MessagingBackend) async -> String {
        let recorded = groupsByTopic.withLock { $0 }
        guard backend.capabilities.contains(.persistent) else {
            return "cleanup: nothing to remove; this \(backend.name) broker keeps nothing once the process ends"
        }
        guard let removing = backend as? any TopicRemoving else {
            return "cleanup: \(backend.name) cannot remove topics; the run's \(recorded.count) topics keep their prefix and can be deleted by it"
        }
        var failures: [String] = []
        for (topic, groups) in recorded.sorted(by: { $0.key < $1.key }) {
            do {
                try await removing.removeTopic(topic, groups: groups.sorted())
            } catch {
                failures.append("\(topic): \(error.message)")
            }
        }
        guard failures.isEmpty else {
            return "cleanup: removed \(recorded.count - failures.count) of \(recorded.count) topics; not removed: \(failures.joined(separator: "; "))"
        }
        return "cleanup: removed the run's \(recorded.count) topics and their groups' queues"
    }
}

/// A backend that records, in a ``ContractFootprint``, the topics it creates and the groups that
/// consume from them, and otherwise passes everything to `base`.
struct FootprintRecordingBackend: MessagingBackend {
    let base: any MessagingBackend
    let footprint: ContractFootprint

    var name: String { base.name }
    var capabilities: BackendCapabilities { base.capabilities }
    var limits: BackendLimits { base.limits }

    func ensureTopic(_ spec: TopicSpec) async throws(SwitchyardError) {
        footprint.topic(spec.name)
        try await base.ensureTopic(spec)
    }

    func makeProducerDriver(options: ProducerOptions, logger: Logger) async throws(SwitchyardError) -> any ProducerDriver {
        try await base.makeProducerDriver(options: options, logger: logger)
    }

    func makeConsumerDriver(topic: String, options: ConsumerOptions, logger: Logger) async throws(SwitchyardError) -> any ConsumerDriver {
        footprint.group(options.group, on: topic)
        return try await base.makeConsumerDriver(topic: topic, options: options, logger: logger)
    }

    func shutdown() async throws(SwitchyardError) {
        try await base.shutdown()
    }
}
