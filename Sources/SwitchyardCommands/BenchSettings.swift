/// The shape of a bench run, from the command's options.
struct BenchSettings: Sendable {
    /// Messages per phase.
    var messages: Int
    /// Payload bytes per message.
    var size: Int
    /// Messages per send; 1 sends them one by one.
    var batch: Int
    /// Sends (or batches) awaiting their acknowledgement at once.
    var inFlight: Int
    /// The consumer's prefetch.
    var prefetch: Int
    /// Partitions of each bench topic.
    var partitions: Int
    /// The send rate of the latency phase; 0 turns the phase off.
    var rate: Int
    /// How long the latency phase sends, in seconds.
    var rateSeconds: Double

    /// How many messages the latency phase sends.
    var rateMessages: Int {
        Int((Double(rate) * rateSeconds).rounded())
    }

    /// How long a phase may take before the bench gives up on it, in seconds.
    var phaseTimeout: Double {
        120 + Double(max(messages, rateMessages)) / 10_000
    }
}
