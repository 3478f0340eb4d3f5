import Switchyard

@testable import SwitchyardMigration

/// A message for crafted comparison streams: published at `publishedAt` microseconds.
func crafted(
    _ id: String,
    key: String? = "k",
    payload: String = "payload",
    headers: [MessageHeader] = [],
    publishedAt: Int64
) -> Message {
    Message(id: id, key: key, payload: payload, headers: headers, publishedAt: publishedAt)
}

/// A comparison of topic `t` with a grace window of `grace` microseconds and `thresholds`.
func comparator(
    grace: Int64 = 1_000,
    rules: ComparisonRules = ComparisonRules(),
    thresholds: ComparisonThresholds = ComparisonThresholds(),
    limits: ComparisonLimits = ComparisonLimits(),
    windowStart: Int64? = nil
) -> ShadowComparator {
    ShadowComparator(
        configuration: ComparisonConfiguration(
            topic: "t",
            primaryBackend: "rabbitmq",
            secondaryBackend: "kafka",
            graceMicroseconds: grace,
            windowStart: windowStart,
            rules: rules,
            thresholds: thresholds,
            limits: limits
        )
    )
}

extension ShadowComparator {
    /// Observes `messages` on `side`, each received `latency` microseconds after it was published.
    mutating func observe(_ messages: [Message], on side: ComparisonSide, latency: Int64 = 100) {
        for message in messages {
            observe(message, on: side, receivedAt: (message.publishedAt ?? 0) + latency)
        }
    }
}

/// `count` messages of key `key`, published 10 µs apart from `start`.
func stream(_ count: Int, key: String = "k", start: Int64 = 1_000_000, prefix: String = "m") -> [Message] {
    (0..<count).map { crafted("\(prefix)\($0)", key: key, payload: "body \($0)", publishedAt: start + Int64($0) * 10) }
}
