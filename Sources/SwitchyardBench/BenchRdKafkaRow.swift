/// What one run of the raw librdkafka baseline measured.
package struct BenchRdKafkaRow: Codable, Sendable {
    /// Messages per second from the first send to the last delivery report.
    package var produce: Double
    /// Messages per second from the first message received to the last, in a new group.
    package var consume: Double

    /// The median of each field over several runs.
    package static func median(of rows: [BenchRdKafkaRow]) -> BenchRdKafkaRow {
        let medians = BenchRow.median(of: rows.map { BenchRow(produce: $0.produce, consume: $0.consume, pipeline: 0, pipelineP50Ms: 0, pipelineP99Ms: 0) })
        return BenchRdKafkaRow(produce: medians.produce, consume: medians.consume)
    }
}
