import Switchyard

/// A message one side has delivered and the other side has not yet: what the comparison keeps of it
/// while it waits, without its payload.
struct PendingObservation: Sendable {
    let id: String
    /// ``ContentDigest`` of the id.
    let digest: UInt64
    let side: ComparisonSide
    let firstSeenAt: Int64
    let publishedAt: Int64?
    let key: [UInt8]?
    let payloadDigest: UInt64
    let payloadSize: Int
    /// Kept as the message had them (the array is shared, not copied), to name differing headers.
    let headers: [MessageHeader]
    let headersDigest: UInt64
    let hasRequiredHeader: Bool
}
