/// The naming rules for topics and consumer groups, shared by every backend.
///
/// A name is 1 to 249 characters from `A-Z a-z 0-9 . _ -`, and is not `.` or `..`: the names that Kafka
/// topics, RabbitMQ exchanges and queues, and file names all accept. Names that backends derive, such as
/// `<topic>.dlq`, must fit too, which ``Consumer`` creation checks.
public enum TopicName {
    /// The longest name accepted, Kafka's limit.
    public static let maxLength = 249

    /// Throws ``SwitchyardError/Code/invalidTopicName`` when `name` breaks the rules.
    /// - Parameters:
    ///   - name: the topic or group name to check.
    ///   - kind: what the name is for ("topic" or "group"), used in the message.
    public static func validate(_ name: String, kind: String = "topic") throws(SwitchyardError) {
        var count = 0
        for byte in name.utf8 {
            guard isAllowed(byte) else {
                let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "a non-ASCII character"
                throw SwitchyardError(.invalidTopicName, "The \(kind) name '\(name)' contains \(shown). Use only A-Z a-z 0-9 . _ -")
            }
            count += 1
        }
        if count == 0 {
            throw SwitchyardError(.invalidTopicName, "The \(kind) name is empty. Use 1 to \(maxLength) characters from A-Z a-z 0-9 . _ -")
        }
        if count > maxLength {
            throw SwitchyardError(.invalidTopicName, "The \(kind) name '\(name.prefix(40))…' has \(count) characters; the limit is \(maxLength).")
        }
        if count <= 2 && (name == "." || name == "..") {
            throw SwitchyardError(.invalidTopicName, "The \(kind) name '\(name)' is reserved. Use letters, digits, '.', '_' or '-'.")
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The dead-letter topic for `topic`.
    public static func deadLetter(of topic: String) -> String { topic + ".dlq" }
}

/// What a topic should look like when it is ensured.
public struct TopicSpec: Sendable, Hashable {
    /// The topic name; see ``TopicName``.
    public var name: String
    /// The number of partitions. Backends without partitions ignore it.
    public var partitions: Int
    /// The replication factor, or `nil` for the backend's default.
    public var replicationFactor: Int?
    /// Refuse to create the topic on a backend that cannot keep messages across a broker restart.
    public var requiresPersistence: Bool

    public init(name: String, partitions: Int = 1, replicationFactor: Int? = nil, requiresPersistence: Bool = false) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.requiresPersistence = requiresPersistence
    }
}
