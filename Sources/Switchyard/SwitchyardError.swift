/// The one error type that Switchyard's API throws.
///
/// Match on ``code``; read ``message`` for what went wrong and what to do about it. ``isRetriable``
/// says whether the same call may succeed later unchanged (a broker that is down, a timeout), as opposed
/// to a call that needs a change first (a bad topic name, an oversized message).
public struct SwitchyardError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case unknownBackend
            case invalidTopicName
            case invalidMessage
            case topicNotFound
            case messageTooLarge
            case producerClosed
            case consumerClosed
            case unsupported
            case brokerUnavailable
            case timeout
            case authenticationFailed
            case alreadySettled
            case unroutable
            case rejectedByBroker
            case partialBatch
            case cancelled
            case internalError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// A configuration key is unknown or its value is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The configured backend is not one Switchyard knows.
        public static let unknownBackend = Code(.unknownBackend)
        /// A topic or group name breaks the naming rules.
        public static let invalidTopicName = Code(.invalidTopicName)
        /// A message is malformed, for example it uses a reserved header name or an empty id.
        public static let invalidMessage = Code(.invalidMessage)
        /// The topic does not exist and the backend does not create topics on demand.
        public static let topicNotFound = Code(.topicNotFound)
        /// The message is larger than the backend accepts.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The producer was closed before this call.
        public static let producerClosed = Code(.producerClosed)
        /// The consumer was closed before this call.
        public static let consumerClosed = Code(.consumerClosed)
        /// The backend lacks the capability that this call needs.
        public static let unsupported = Code(.unsupported)
        /// The broker cannot be reached. Retriable.
        public static let brokerUnavailable = Code(.brokerUnavailable)
        /// The broker did not answer in time. Retriable; the message may or may not have been stored.
        public static let timeout = Code(.timeout)
        /// The broker refused the credentials or the virtual host.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The delivery was already acked, nacked or dead-lettered, or it was handed to another consumer.
        public static let alreadySettled = Code(.alreadySettled)
        /// The broker could not route the message to any queue.
        public static let unroutable = Code(.unroutable)
        /// The broker refused the message.
        public static let rejectedByBroker = Code(.rejectedByBroker)
        /// Part of a batch was not acknowledged; see ``SwitchyardError/unacknowledgedMessageIDs``.
        public static let partialBatch = Code(.partialBatch)
        /// The task was cancelled. A cancelled send had not handed the message to the broker, so nothing
        /// was sent; a cancelled receive took no message from the backend.
        public static let cancelled = Code(.cancelled)
        /// A failure inside Switchyard or a client library that fits no other code.
        public static let internalError = Code(.internalError)
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do about it.
    public let message: String
    /// Whether the same call may succeed later without any change.
    public let isRetriable: Bool
    /// For ``Code/partialBatch``: the ids of the messages whose send was not acknowledged.
    public let unacknowledgedMessageIDs: [String]
    /// The failure this one was made from, such as the client library's error, when there was one.
    public let underlyingError: (any Error)?
    /// The file that raised the error.
    public let fileID: String
    /// The line that raised the error.
    public let line: Int

    /// Creates an error. Backends use this to map their client library's failures onto the core codes.
    public init(
        _ code: Code,
        _ message: String,
        isRetriable: Bool? = nil,
        unacknowledgedMessageIDs: [String] = [],
        underlyingError: (any Error)? = nil,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable ?? (code == .brokerUnavailable || code == .timeout)
        self.unacknowledgedMessageIDs = unacknowledgedMessageIDs
        self.underlyingError = underlyingError
        self.fileID = fileID
        self.line = line
    }

    /// The ``Code/partialBatch`` error for a batch send in which some messages were not acknowledged.
    ///
    /// - Parameters:
    ///   - unacknowledgedMessageIDs: the ids whose send was not acknowledged; the caller resends these.
    ///   - batchSize: how many messages the batch held.
    ///   - firstFailure: the first failure seen; the result is retriable when it is.
    ///   - fileID: the file that raises the error; leave it to its default.
    ///   - line: the line that raises the error; leave it to its default.
    public static func partialBatch(
        unacknowledgedMessageIDs: [String],
        of batchSize: Int,
        firstFailure: SwitchyardError,
        fileID: String = #fileID,
        line: Int = #line
    ) -> SwitchyardError {
        let sent = batchSize - unacknowledgedMessageIDs.count
        return SwitchyardError(
            .partialBatch,
            "\(sent) of \(batchSize) messages were acknowledged; the first failure: \(firstFailure). Resend the unacknowledged ones.",
            isRetriable: firstFailure.isRetriable,
            unacknowledgedMessageIDs: unacknowledgedMessageIDs,
            underlyingError: firstFailure,
            fileID: fileID,
            line: line
        )
    }

    public var description: String {
        "\(code): \(message)\(isRetriable ? " (retriable)" : "")"
    }
}
