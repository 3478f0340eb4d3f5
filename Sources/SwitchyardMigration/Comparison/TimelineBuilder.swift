/// Counts findings in bins of equal length from a start time, in at most a fixed number of bins: when a
/// finding falls past the last bin, neighbouring bins merge and every bin covers twice the time.
struct TimelineBuilder: Sendable {
    enum Event: Sendable {
        case primary, secondary, matched, mismatched, missing, late, duplicate, unexpected, inversion
    }

    private(set) var origin: Int64?
    private(set) var binMicroseconds: Int64 = 100_000
    private(set) var bins: [ComparisonReport.TimelineBin] = []
    let maxBins: Int
    /// The bin the latest finding fell in and the times it covers, so that most findings skip the
    /// division; the range is empty until the first finding.
    private var latestBin = 0
    private var latestBinStart: Int64 = 1
    private var latestBinEnd: Int64 = 0

    init(origin: Int64?, maxBins: Int) {
        self.origin = origin
        self.maxBins = max(2, maxBins)
    }

    /// Counts `event` at time `at`; `amount` is -1 to take back an earlier count.
    mutating func add(_ event: Event, at time: Int64, amount: Int = 1) {
        let bin = time >= latestBinStart && time < latestBinEnd ? latestBin : locate(time)
        switch event {
        case .primary: bins[bin].primary += amount
        case .secondary: bins[bin].secondary += amount
        case .matched: bins[bin].matched += amount
        case .mismatched: bins[bin].mismatched += amount
        case .missing: bins[bin].missing += amount
        case .late: bins[bin].late += amount
        case .duplicate: bins[bin].duplicates += amount
        case .unexpected: bins[bin].unexpected += amount
        case .inversion: bins[bin].inversions += amount
        }
    }

    /// The bin of `time`, made if needed, which becomes the latest bin.
    private mutating func locate(_ time: Int64) -> Int {
        let start = origin ?? time
        origin = start
        var bin = Int(max(0, time - start) / binMicroseconds)
        while bin >= maxBins {
            merge()
            bin = Int(max(0, time - start) / binMicroseconds)
        }
        if bin >= bins.count {
            bins.append(contentsOf: repeatElement(ComparisonReport.TimelineBin(), count: bin - bins.count + 1))
        }
        latestBin = bin
        latestBinStart = bin == 0 ? Int64.min : start + Int64(bin) * binMicroseconds
        latestBinEnd = start + Int64(bin + 1) * binMicroseconds
        return bin
    }

    private mutating func merge() {
        var merged: [ComparisonReport.TimelineBin] = []
        merged.reserveCapacity((bins.count + 1) / 2)
        var index = 0
        while index < bins.count {
            var bin = bins[index]
            if index + 1 < bins.count {
                let next = bins[index + 1]
                bin.primary += next.primary
                bin.secondary += next.secondary
                bin.matched += next.matched
                bin.mismatched += next.mismatched
                bin.missing += next.missing
                bin.late += next.late
                bin.duplicates += next.duplicates
                bin.unexpected += next.unexpected
                bin.inversions += next.inversions
            }
            merged.append(bin)
            index += 2
        }
        bins = merged
        binMicroseconds *= 2
    }
}
