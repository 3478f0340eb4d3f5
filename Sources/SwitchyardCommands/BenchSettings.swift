/// The shape of a bench run, from the command's options.
struct BenchSettings: Sendable {
    /// Messages per phase.
    var messages: Int
    /// Payload bytes per message.
    var size: Int
    /// Messages per send; 1 sends them one by one.
    var batch: Int
    /// Sends (or batches) outstanding at once; 1 awaits each before the next.
    var inFlight: Int
    /// The consumer's prefetch.
    var prefetch: Int
    /// Partitions of each bench topic.
    var partitions: Int
    /// The send rate of the latency phase; 0 turns the phase off.
    var rate: Int
    /// How long the latency phase sends, in seconds.
    var rateSeconds: Double
    /// Whether the consume clock starts at the first delivery, and the pipeline and latency phases wait
    /// until the consumer has its partitions, so a consumer group's join time is not measured (Kafka).
    var excludesGroupJoin: Bool

    /// How many messages the latency phase sends.
    var rateMessages: Int {
        Int((Double(rate) * rateSeconds).rounded())
    }

    /// How long a phase may take before the bench gives up on it, in seconds.
    var phaseTimeout: Double {
        120 + Double(max(messages, rateMessages)) / 10_000
    }
}
