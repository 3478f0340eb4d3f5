import Histogram
import SwitchyardLatency
import Switchyard

/// Compares what two brokers delivered for one topic, message by message, matched by
/// `Message.id`: the shadow comparison of a migration (see <doc:ShadowComparison>).
///
/// Feed it every delivery of both sides with ``observe(_:on:receivedAt:)``, in the order they arrive,
/// then call ``finish(at:dualWrite:)`` for the ``ComparisonReport``. The primary is the control and the
/// secondary the candidate, as in GitHub's Scientist; the findings follow Jepsen's queue checker (lost,
/// duplicated, unexpected, recovered).
///
/// How a message is judged:
/// - When both sides deliver an id, the second copy within ``ComparisonConfiguration/graceMicroseconds``
///   of the first, it is *matched*, and its key, payload and headers are compared under the
///   ``ComparisonRules`` (payloads by digest, so nothing of them is kept).
/// - When the grace window passes with one side only, it is *missing* on the other side, or
///   *unexpected* on the side that has it if the run did not expect it on both (see
///   ``ComparisonReport/SideFigures/unexpected``). If the other copy comes later still, the message moves
///   from missing to *late*.
/// - A second delivery of an id on the same side is a *duplicate*; it is not compared again.
/// - Each side's first deliveries are checked for per-key order and give the publish-to-consume
///   latency.
///
/// Time is the observations' own `receivedAt`, not the clock: the window moves with the latest
/// observation, or with ``advance(to:)`` when nothing arrives, so a run can be replayed exactly.
///
/// Memory is bounded whatever the number of messages: the window holds only messages waiting for
/// their other side, each removed when matched or when its grace passes, and at most
/// ``ComparisonLimits/maxPending`` (the oldest is given up on beyond that, which fails the verdict).
/// Settled ids, keys and examples are kept up to their ``ComparisonLimits``; latency histograms have
/// a fixed size. It is a value type with no locks: feed it from one task, or guard it.
public struct ShadowComparator: Sendable {
    /// The run's setup; ``closeWindow(at:)`` sets its window end.
    public private(set) var configuration: ComparisonConfiguration

    private let ignoredHeaders: HeaderIgnoreRules
    private var pending = PendingWindow()
    private var settled: SettledIDs
    private var keys: KeyTable
    private var sides: [SideTally]
    private var timeline: TimelineBuilder
    private var arrivalGap = Histogram<UInt64>.latencyMicroseconds()
    private var secondaryLater = 0
    private var matched = 0
    private var mismatches = ComparisonReport.Mismatches(total: 0, key: 0, payload: 0, headers: 0, samples: [])
    private var watermark = Int64.min
    private var firstObservation: Int64?
    private var peakPending = 0
    private var forcedEvictions = 0

    public init(configuration: ComparisonConfiguration) {
        self.configuration = configuration
        ignoredHeaders = HeaderIgnoreRules(configuration.rules.ignoredHeaders)
        settled = SettledIDs(capacity: configuration.limits.settledMemory)
        keys = KeyTable(maxKeys: configuration.limits.maxTrackedKeys, history: configuration.limits.orderHistory)
        sides = [
            SideTally(side: .primary, backend: configuration.primaryBackend, maxSamples: configuration.limits.maxSamples),
            SideTally(side: .secondary, backend: configuration.secondaryBackend, maxSamples: configuration.limits.maxSamples),
        ]
        timeline = TimelineBuilder(origin: configuration.windowStart, maxBins: configuration.limits.timelineBins)
    }

    /// Figures so far, for progress displays.
    public struct Progress: Sendable, Hashable {
        public var primaryDelivered: Int
        public var secondaryDelivered: Int
        public var matched: Int
        /// Messages waiting for their other side.
        public var pending: Int
        public var missing: Int
        public var mismatched: Int
        public var duplicates: Int
    }

    /// Figures so far.
    public var progress: Progress {
        Progress(
            primaryDelivered: sides[0].delivered,
            secondaryDelivered: sides[1].delivered,
            matched: matched,
            pending: pending.count,
            missing: sides[0].missing + sides[1].missing,
            mismatched: mismatches.total,
            duplicates: sides[0].duplicates + sides[1].duplicates
        )
    }

    /// The number of entries the window holds, waiting or awaiting removal from the expiry order; it
    /// stays within a small multiple of ``Progress/pending`` plus a constant.
    var windowFootprint: (pending: Int, expiryOrder: Int, settled: Int) {
        (pending.count, pending.orderLength, settled.count)
    }

    /// Takes one delivery of `side`, received at `receivedAt` (microseconds since the Unix epoch).
    public mutating func observe(_ message: Message, on side: ComparisonSide, receivedAt: Int64) {
        if firstObservation == nil { firstObservation = receivedAt }
        advance(to: receivedAt)
        let digest = ContentDigest.of(message.id)
        if let position = pending.position(of: digest, id: message.id) {
            if pending.side(at: position) == side {
                recordDuplicate(message, on: side, at: receivedAt)
            } else {
                let first = pending.remove(at: position)
                settled.insert(digest, SettledIDs.Entry(outcome: .matched, firstSeenAt: first.firstSeenAt))
                recordFirstDelivery(message, on: side, at: receivedAt)
                match(first, message, on: side, at: receivedAt)
            }
        } else if let earlier = settled[digest] {
            switch earlier.outcome {
            case .givenUp(let seenOn, let unexpected) where seenOn != side:
                settled.update(digest, outcome: .matched)
                recordFirstDelivery(message, on: side, at: receivedAt)
                recordLate(message, on: side, at: receivedAt, firstSeenAt: earlier.firstSeenAt, otherWasUnexpected: unexpected)
            case .matched, .givenUp:
                recordDuplicate(message, on: side, at: receivedAt)
            }
        } else {
            let observation = PendingObservation(
                id: message.id,
                digest: digest,
                side: side,
                firstSeenAt: receivedAt,
                publishedAt: message.publishedAt,
                key: message.key,
                payloadDigest: configuration.rules.comparesPayload ? ContentDigest.of(message.payload) : 0,
                payloadSize: message.payload.count,
                headers: message.headers,
                headersDigest: headersDigest(message.headers),
                hasRequiredHeader: configuration.rules.requiredHeader.map { message.header($0) != nil } ?? true
            )
            pending.append(observation)
            peakPending = max(peakPending, pending.count)
            recordFirstDelivery(message, on: side, at: receivedAt)
            while pending.count > configuration.limits.maxPending, let oldest = pending.removeOldest() {
                forcedEvictions += 1
                giveUp(oldest)
            }
        }
    }

    /// Moves the comparison's time to `time` if it is later, giving up on every message whose grace
    /// window has passed by then. Call it while no message arrives, so the missing are found.
    public mutating func advance(to time: Int64) {
        guard time > watermark else { return }
        watermark = time
        let deadline = time - configuration.graceMicroseconds
        while let expired = pending.removeOldest(arrivedBefore: deadline) {
            giveUp(expired)
        }
    }

    /// Ends the run's publish window at `time`: a message published later and seen on one side only is
    /// unexpected rather than missing. The comparison command calls it when it stops collecting and
    /// gives the sides a grace window to deliver what they still owe.
    public mutating func closeWindow(at time: Int64) {
        configuration.windowEnd = time
    }

    /// Ends the run at `endedAt`: every message still waiting for its other side is given up on, and the
    /// report is made, with the dual writer's `dualWrite` figures if given.
    public mutating func finish(at endedAt: Int64, dualWrite: DualWriteFigures? = nil) -> ComparisonReport {
        advance(to: endedAt)
        var givenUpAtEnd = 0
        while let oldest = pending.removeOldest() {
            givenUpAtEnd += 1
            giveUp(oldest)
        }
        return report(endedAt: endedAt, givenUpAtEnd: givenUpAtEnd, dualWrite: dualWrite)
    }

    // MARK: Findings

    private mutating func recordFirstDelivery(_ message: Message, on side: ComparisonSide, at time: Int64) {
        sides[side.index].deliveries += 1
        sides[side.index].delivered += 1
        timeline.add(side == .primary ? .primary : .secondary, at: time)
        if let publishedAt = message.publishedAt {
            sides[side.index].latency.recordLatency(microseconds: time - publishedAt)
        } else {
            sides[side.index].withoutPublishedAt += 1
        }
        guard let inversion = keys.record(key: message.key, side: side, publishedAt: message.publishedAt) else { return }
        sides[side.index].orderInversions += 1
        sides[side.index].largestDisplacement = max(sides[side.index].largestDisplacement, inversion.displacement)
        timeline.add(.inversion, at: time)
        let sample = ComparisonReport.InversionSample(
            id: message.id,
            key: DisplayBytes.key(message.key) ?? "",
            displacement: inversion.displacement,
            displacementIsLowerBound: inversion.isLowerBound,
            at: time
        )
        sides[side.index].keep(sample, in: &sides[side.index].samples.inversions)
    }

    private mutating func recordDuplicate(_ message: Message, on side: ComparisonSide, at time: Int64) {
        sides[side.index].deliveries += 1
        sides[side.index].duplicates += 1
        timeline.add(.duplicate, at: time)
        let sample = ComparisonReport.MessageSample(id: message.id, key: DisplayBytes.key(message.key), publishedAt: message.publishedAt, at: time)
        sides[side.index].keep(sample, in: &sides[side.index].samples.duplicates)
    }

    /// `message` reached `side` after the other side's copy had been given up on.
    private mutating func recordLate(_ message: Message, on side: ComparisonSide, at time: Int64, firstSeenAt: Int64, otherWasUnexpected: Bool) {
        if otherWasUnexpected {
            sides[side.other.index].unexpected -= 1
            sides[side.other.index].samples.unexpected.removeAll { $0.id == message.id }
            timeline.add(.unexpected, at: firstSeenAt, amount: -1)
            return
        }
        sides[side.index].missing -= 1
        sides[side.index].samples.missing.removeAll { $0.id == message.id }
        timeline.add(.missing, at: firstSeenAt, amount: -1)
        sides[side.index].late += 1
        timeline.add(.late, at: time)
        let sample = ComparisonReport.LateSample(
            id: message.id,
            key: DisplayBytes.key(message.key),
            afterOtherSideMilliseconds: Double(time - firstSeenAt) / 1000,
            at: time
        )
        sides[side.index].keep(sample, in: &sides[side.index].samples.late)
    }

    /// `observation` waited past its grace window (or past the end, or out of room) for its other side.
    private mutating func giveUp(_ observation: PendingObservation) {
        let expected = configuration.isInWindow(observation.publishedAt) && observation.hasRequiredHeader
        settled.insert(observation.digest, SettledIDs.Entry(outcome: .givenUp(seenOn: observation.side, unexpected: !expected), firstSeenAt: observation.firstSeenAt))
        let sample = ComparisonReport.MessageSample(
            id: observation.id,
            key: DisplayBytes.key(observation.key),
            publishedAt: observation.publishedAt,
            at: observation.firstSeenAt
        )
        if expected {
            let missingSide = observation.side.other.index
            sides[missingSide].missing += 1
            sides[missingSide].keep(sample, in: &sides[missingSide].samples.missing)
            timeline.add(.missing, at: observation.firstSeenAt)
        } else {
            sides[observation.side.index].unexpected += 1
            sides[observation.side.index].keep(sample, in: &sides[observation.side.index].samples.unexpected)
            timeline.add(.unexpected, at: observation.firstSeenAt)
        }
    }

    private mutating func match(_ first: PendingObservation, _ message: Message, on side: ComparisonSide, at time: Int64) {
        matched += 1
        timeline.add(.matched, at: time)
        arrivalGap.recordLatency(microseconds: time - first.firstSeenAt)
        if side == .secondary { secondaryLater += 1 }

        let keyDiffers = configuration.rules.comparesKey && first.key != message.key
        let payloadDigest = configuration.rules.comparesPayload ? ContentDigest.of(message.payload) : 0
        let payloadDiffers = payloadDigest != first.payloadDigest || message.payload.count != first.payloadSize
        let headersDiffer = headersDigest(message.headers) != first.headersDigest
        guard keyDiffers || payloadDiffers || headersDiffer else { return }

        mismatches.total += 1
        if keyDiffers { mismatches.key += 1 }
        if payloadDiffers { mismatches.payload += 1 }
        if headersDiffer { mismatches.headers += 1 }
        timeline.add(.mismatched, at: time)
        guard mismatches.samples.count < configuration.limits.maxSamples else { return }
        let (primary, secondary) = first.side == .primary
            ? ((first.key, first.payloadSize, first.payloadDigest, first.headers), (message.key, message.payload.count, payloadDigest, message.headers))
            : ((message.key, message.payload.count, payloadDigest, message.headers), (first.key, first.payloadSize, first.payloadDigest, first.headers))
        var kinds: [String] = []
        if keyDiffers { kinds.append("key") }
        if payloadDiffers { kinds.append("payload") }
        if headersDiffer { kinds.append("headers") }
        mismatches.samples.append(
            ComparisonReport.MismatchSample(
                id: message.id,
                key: DisplayBytes.key(primary.0 ?? secondary.0),
                kinds: kinds,
                primaryKey: DisplayBytes.key(primary.0),
                secondaryKey: DisplayBytes.key(secondary.0),
                primaryPayloadBytes: primary.1,
                secondaryPayloadBytes: secondary.1,
                primaryPayloadDigest: ContentDigest.hex(primary.2),
                secondaryPayloadDigest: ContentDigest.hex(secondary.2),
                headers: headerDifferences(primary.3, secondary.3),
                at: time
            )
        )
    }

    // MARK: Headers

    /// A digest of the headers that are not ignored, independent of the order of different names but
    /// not of the order of one name's repeated values.
    private func headersDigest(_ headers: [MessageHeader]) -> UInt64 {
        if headers.isEmpty { return 0 }
        return headers.withUnsafeBufferPointer { list in
            var sum: UInt64 = 0
            var counted: UInt64 = 0
            for position in list.indices {
                if !ignoredHeaders.isEmpty && ignoredHeaders.ignores(list[position].name) { continue }
                var ordinal: UInt64 = 0
                for earlier in 0..<position where list[earlier].name == list[position].name { ordinal += 1 }
                let state = ContentDigest.absorb(list[position].name) &+ ordinal
                sum &+= list[position].value.withUnsafeBytes { ContentDigest.of($0, state: state) }
                counted += 1
            }
            return counted == 0 ? 0 : ContentDigest.finalize(sum ^ counted)
        }
    }

    private func headerDifferences(_ primary: [MessageHeader], _ secondary: [MessageHeader]) -> [ComparisonReport.HeaderDifference] {
        func grouped(_ headers: [MessageHeader]) -> [String: [[UInt8]]] {
            var result: [String: [[UInt8]]] = [:]
            for header in headers where !ignoredHeaders.ignores(header.name) {
                result[header.name, default: []].append(header.value)
            }
            return result
        }
        let left = grouped(primary)
        let right = grouped(secondary)
        return Set(left.keys).union(right.keys).sorted().compactMap { name in
            let values = (left[name] ?? [], right[name] ?? [])
            guard values.0 != values.1 else { return nil }
            return ComparisonReport.HeaderDifference(
                name: name,
                primary: values.0.map { DisplayBytes.text($0) },
                secondary: values.1.map { DisplayBytes.text($0) }
            )
        }
    }

    // MARK: Report

    private func report(endedAt: Int64, givenUpAtEnd: Int, dualWrite: DualWriteFigures?) -> ComparisonReport {
        let primary = sides[0].figures()
        let secondary = sides[1].figures()
        let bothHaveLatency = primary.latency.count > 0 && secondary.latency.count > 0
        let skew = ComparisonReport.Skew(
            p50Milliseconds: bothHaveLatency ? secondary.latency.p50Milliseconds - primary.latency.p50Milliseconds : nil,
            p95Milliseconds: bothHaveLatency ? secondary.latency.p95Milliseconds - primary.latency.p95Milliseconds : nil,
            p99Milliseconds: bothHaveLatency ? secondary.latency.p99Milliseconds - primary.latency.p99Milliseconds : nil,
            arrivalGap: ComparisonReport.ArrivalGap(
                count: Int(arrivalGap.totalCount),
                p50Milliseconds: arrivalGap.milliseconds(atPercentile: 50),
                p99Milliseconds: arrivalGap.milliseconds(atPercentile: 99),
                maxMilliseconds: arrivalGap.maxMilliseconds,
                secondaryLater: secondaryLater
            )
        )
        let startedAt = configuration.windowStart.map { min($0, firstObservation ?? $0) } ?? firstObservation ?? endedAt
        let verdict = ComparisonVerdict(
            thresholds: configuration.thresholds,
            figures: ComparisonVerdict.Figures(
                matched: matched,
                missing: primary.missing + secondary.missing,
                mismatched: mismatches.total,
                late: primary.late + secondary.late,
                orderInversions: primary.orderInversions + secondary.orderInversions,
                unexpected: primary.unexpected + secondary.unexpected,
                duplicates: primary.duplicates + secondary.duplicates,
                p99SkewMilliseconds: skew.p99Milliseconds,
                forcedEvictions: forcedEvictions,
                dualWrite: dualWrite
            )
        )
        return ComparisonReport(
            formatVersion: ComparisonReport.currentFormatVersion,
            run: ComparisonReport.Run(
                topic: configuration.topic,
                primaryBackend: configuration.primaryBackend,
                secondaryBackend: configuration.secondaryBackend,
                startedAt: startedAt,
                endedAt: endedAt,
                graceMilliseconds: Double(configuration.graceMicroseconds) / 1000,
                windowStart: configuration.windowStart,
                windowEnd: configuration.windowEnd,
                rules: configuration.rules,
                thresholds: configuration.thresholds,
                limits: configuration.limits
            ),
            primary: primary,
            secondary: secondary,
            matched: matched,
            mismatches: mismatches,
            skew: skew,
            keys: keyFigures(),
            dualWrite: dualWrite,
            memory: ComparisonReport.Memory(peakPending: peakPending, forcedEvictions: forcedEvictions, givenUpAtEnd: givenUpAtEnd),
            timeline: ComparisonReport.Timeline(
                startedAt: timeline.origin ?? startedAt,
                binMilliseconds: Double(timeline.binMicroseconds) / 1000,
                bins: timeline.bins
            ),
            verdict: verdict
        )
    }

    private func keyFigures() -> ComparisonReport.Keys {
        let limit = configuration.limits.maxReportedKeys
        let busiest = keys.rows.count <= limit
            ? keys.rows
            : Array(keys.rows.sorted { ($0.primary.count + $0.secondary.count) > ($1.primary.count + $1.secondary.count) }.prefix(limit))
        let rows = busiest.map { row in
            ComparisonReport.KeyRow(
                key: DisplayBytes.key(row.key),
                primary: row.primary.count,
                secondary: row.secondary.count,
                primaryInversions: row.primary.inversions,
                secondaryInversions: row.secondary.inversions
            )
        }
        .sorted { ($0.key ?? "") < ($1.key ?? "") }
        return ComparisonReport.Keys(
            tracked: keys.rows.count,
            untrackedPrimary: keys.untracked[0],
            untrackedSecondary: keys.untracked[1],
            rows: rows,
            truncated: keys.rows.count > limit
        )
    }
}
