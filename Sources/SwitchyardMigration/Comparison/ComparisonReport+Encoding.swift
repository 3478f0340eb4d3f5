#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ComparisonReport {
    /// The report as pretty-printed JSON with sorted keys; ``init(json:)`` reads it back unchanged.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// Reads a report written by ``json()``.
    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(ComparisonReport.self, from: Data(json))
    }
}
