import Switchyard

/// What a rehearsal records about each phase, shared by the feed, the application's consumer and the
/// side readers: the ids the phase's writer got acknowledged, what the application processed, and the
/// two comparisons, made with the shadow comparator.
///
/// - The *delivery* comparison matches what was published (the primary side, observed when the send
///   was acknowledged) against what the application's consumer received (the secondary side): a
///   message missing there is a message lost across the cutovers.
/// - The *sides* comparison, in the dual-write phases, matches what the primary broker delivered
///   against what the secondary broker delivered, each read by a private consumer of its own.
///
/// The comparators' grace is longer than any phase, so nothing is judged before the phase settles;
/// then every message still waiting for its other side counts as missing.
final class RehearsalBook: Sendable {
    /// The header carrying the number of the phase whose writer sent the message.
    static let phaseHeader = "rehearsal-phase"

    private struct Phase {
        /// Acknowledged ids with their publish times.
        var published: [String: Int64] = [:]
        var delivery: ShadowComparator
        var sides: ShadowComparator?
        var sideIDs: [Set<String>] = [[], []]
        var spoolPeak = 0
        var finished = false
    }

    private struct State {
        var phases: [Int: Phase] = [:]
        /// The application's deduplication store: every id it has processed, in any phase.
        var processed: Set<String> = []
        /// Deliveries the application received after their phase's report was made (and deduplicated).
        var afterReport = 0
    }

    /// What a settled phase's comparisons found.
    struct Settled: Sendable {
        var published: Int
        var consumed: Int
        var spoolPeak: Int
        var delivery: ComparisonReport
        var sides: ComparisonReport?
    }

    let topic: String
    private let state = LockedValue(State())
    private static let graceMicroseconds: Int64 = 3_600_000_000

    init(topic: String) {
        self.topic = topic
    }

    /// Starts recording `phase`: the application reads `readSide`; a dual phase also compares
    /// `primary` with `secondary`.
    func open(_ phase: RehearsalPhase, readSide: String, sides: (primary: String, secondary: String)?) {
        let delivery = ShadowComparator(configuration: ComparisonConfiguration(
            topic: topic, primaryBackend: "published", secondaryBackend: readSide, graceMicroseconds: Self.graceMicroseconds
        ))
        let comparison = sides.map {
            ShadowComparator(configuration: ComparisonConfiguration(
                topic: topic, primaryBackend: $0.primary, secondaryBackend: $0.secondary, graceMicroseconds: Self.graceMicroseconds
            ))
        }
        state.withLock { $0.phases[phase.rawValue] = Phase(delivery: delivery, sides: comparison) }
    }

    /// Records sends the writer of `phase` got acknowledged.
    func recordPublished(_ messages: [Message], phase: Int) {
        let now = WallClock.nowMicroseconds()
        state.withLock { state in
            guard state.phases[phase] != nil else { return }
            for message in messages {
                state.phases[phase]!.published[message.id] = message.publishedAt ?? now
                state.phases[phase]!.delivery.observe(message, on: .primary, receivedAt: now)
            }
        }
    }

    /// Records a delivery the application processed; a repeated id is counted as a duplicate.
    func recordProcessed(_ message: Message) {
        let now = WallClock.nowMicroseconds()
        let phase = Self.phase(of: message)
        state.withLock { state in
            state.processed.insert(message.id)
            if let phase, let book = state.phases[phase], !book.finished {
                state.phases[phase]!.delivery.observe(message, on: .secondary, receivedAt: now)
            } else {
                state.afterReport += 1
            }
        }
    }

    /// Records a delivery of a side reader of `phase`; messages of other phases are left out.
    func recordSide(_ message: Message, side: ComparisonSide, phase: Int) {
        guard Self.phase(of: message) == phase else { return }
        let now = WallClock.nowMicroseconds()
        state.withLock { state in
            guard let book = state.phases[phase], !book.finished, book.sides != nil else { return }
            state.phases[phase]!.sides!.observe(message, on: side, receivedAt: now)
            state.phases[phase]!.sideIDs[side == .primary ? 0 : 1].insert(message.id)
        }
    }

    /// Records the depth of the phase's dual-write spool now.
    func recordSpoolDepth(_ depth: Int, phase: Int) {
        state.withLock { state in
            guard state.phases[phase] != nil else { return }
            state.phases[phase]!.spoolPeak = max(state.phases[phase]!.spoolPeak, depth)
        }
    }

    /// Whether the application has processed every message the phase published, and, in a dual phase,
    /// both side readers have delivered every one.
    func isComplete(_ phase: Int) -> Bool {
        state.withLock { state in
            guard let book = state.phases[phase] else { return true }
            for id in book.published.keys {
                if !state.processed.contains(id) { return false }
                if book.sides != nil, !book.sideIDs[0].contains(id) || !book.sideIDs[1].contains(id) { return false }
            }
            return true
        }
    }

    /// Whether the application has processed every message published before `time`.
    func hasProcessedEverything(publishedBefore time: Int64) -> Bool {
        state.withLock { state in
            state.phases.values.allSatisfy { book in
                book.published.allSatisfy { $0.value >= time || state.processed.contains($0.key) }
            }
        }
    }

    /// Ends `phase`: its comparisons are judged, the sides with the writer's `dualWrite` figures.
    func settle(_ phase: Int, dualWrite: DualWriteFigures?) -> Settled {
        let now = WallClock.nowMicroseconds()
        return state.withLock { state in
            var book = state.phases[phase]!
            book.finished = true
            let consumed = book.published.keys.reduce(0) { $0 + (state.processed.contains($1) ? 1 : 0) }
            let settled = Settled(
                published: book.published.count,
                consumed: consumed,
                spoolPeak: book.spoolPeak,
                delivery: book.delivery.finish(at: now),
                sides: book.sides.map { comparator in
                    var comparator = comparator
                    return comparator.finish(at: now, dualWrite: dualWrite)
                }
            )
            book.published = [:]
            book.sideIDs = [[], []]
            state.phases[phase] = book
            return settled
        }
    }

    /// Deliveries the application received after their phase had settled; they were deduplicated.
    var deliveriesAfterReport: Int {
        state.withLock { $0.afterReport }
    }

    static func phase(of message: Message) -> Int? {
        message.header(phaseHeader).flatMap { String(validating: $0, as: UTF8.self) }.flatMap { Int($0) }
    }
}
