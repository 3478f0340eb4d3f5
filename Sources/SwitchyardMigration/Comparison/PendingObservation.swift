import Switchyard

/// A message one side has delivered and the other side has not yet: what the comparison keeps of it
/// while it waits, without its payload.
struct PendingObservation: Sendable {
    let id: String
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

/// A message id with its digest, so the window's table hashes eight bytes and compares the full id only
/// when digests are equal.
struct PendingKey: Hashable, Sendable {
    let digest: UInt64
    let id: String

    static func == (lhs: PendingKey, rhs: PendingKey) -> Bool {
        lhs.digest == rhs.digest && lhs.id == rhs.id
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }
}

/// An entry in the window's expiry order.
struct ExpiryTicket: Sendable {
    let key: PendingKey
    let firstSeenAt: Int64
}
