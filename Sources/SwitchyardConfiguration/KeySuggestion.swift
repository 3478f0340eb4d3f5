/// Finds the known name closest to a misspelt one.
enum KeySuggestion {
    /// The candidate nearest to `name` by edit distance, ignoring case, if it is close enough to be a
    /// plausible typo.
    static func closest(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        let scored = candidates.map { ($0, distance(target, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, target.count / 4) ? best.0 : nil
    }

    /// "did you mean 'X'? " when a candidate is close, else nothing: the start of an unknown-name hint.
    static func question(for name: String, among candidates: [String]) -> String {
        closest(to: name, among: candidates).map { "did you mean '\($0)'? " } ?? ""
    }

    /// The Levenshtein distance between two character arrays.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
