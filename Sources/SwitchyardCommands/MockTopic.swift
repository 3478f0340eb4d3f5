import Switchyard

/// A topic for `kafka-mock` to create at start, written `NAME:PARTITIONS`.
struct MockTopic: Equatable, Sendable {
    let name: String
    let partitions: Int

    /// Parses `NAME:PARTITIONS`, split at the last `:`; the error says what is wrong and shows the form.
    static func parse(_ text: String) throws(SwitchyardError) -> MockTopic {
        guard let colon = text.lastIndex(of: ":") else {
            throw SwitchyardError(.invalidConfiguration, "--topic '\(text)' has no partition count. Write NAME:PARTITIONS, e.g. --topic orders:6.")
        }
        let name = String(text[..<colon])
        let count = String(text[text.index(after: colon)...])
        try TopicName.validate(name)
        guard let partitions = Int(count), (1...10_000).contains(partitions) else {
            throw SwitchyardError(
                .invalidConfiguration,
                "--topic '\(text)': the partition count '\(count)' is not a whole number from 1 to 10000. Write NAME:PARTITIONS, e.g. --topic orders:6."
            )
        }
        return MockTopic(name: name, partitions: partitions)
    }
}
