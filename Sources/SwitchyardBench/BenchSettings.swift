/// The shape of a bench run, from the command's options.
package struct BenchSettings: Sendable {
    /// How the bench's consumers settle what they receive.
    package enum Acknowledgement: String, Codable, Sendable, CaseIterable {
        /// Each received batch is acked with one `Consumer.ack(_:)` call.
        case batch
        /// Each delivery is acked on its own, with `Delivery.ack()`.
        case each
    }

    /// Messages per phase.
    package var messages: Int
    /// Payload bytes per message.
    package var size: Int
    /// Messages per send; 1 sends them one by one.
    package var batch: Int
    /// Sends (or batches) outstanding at once; 1 awaits each before the next.
    package var inFlight: Int
    /// The consumer's prefetch.
    package var prefetch: Int
    /// Partitions of each bench topic.
    package var partitions: Int
    /// The send rate of the latency phase; 0 turns the phase off.
    package var rate: Int
    /// How long the latency phase sends, in seconds.
    package var rateSeconds: Double
    /// How received messages are acked.
    package var ack: Acknowledgement
    /// Whether the consume clock starts at the first delivery, and the pipeline and latency phases wait
    /// until the consumer has its partitions, so a consumer group's join time is not measured (Kafka).
    package var excludesGroupJoin: Bool

    package init(
        messages: Int, size: Int, batch: Int, inFlight: Int, prefetch: Int, partitions: Int, rate: Int, rateSeconds: Double,
        ack: Acknowledgement, excludesGroupJoin: Bool
    ) {
        self.messages = messages
        self.size = size
        self.batch = batch
        self.inFlight = inFlight
        self.prefetch = prefetch
        self.partitions = partitions
        self.rate = rate
        self.rateSeconds = rateSeconds
        self.ack = ack
        self.excludesGroupJoin = excludesGroupJoin
    }

    /// How many messages the latency phase sends.
    package var rateMessages: Int {
        Int((Double(rate) * rateSeconds).rounded())
    }

    /// How long a phase may take before the bench gives up on it, in seconds.
    package var phaseTimeout: Double {
        120 + Double(max(messages, rateMessages)) / 10_000
    }
}
