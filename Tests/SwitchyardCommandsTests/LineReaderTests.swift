import Testing

@testable import SwitchyardCommands

@Suite struct LineReaderTests {
    private func allLines(_ chunks: [[UInt8]], maxLines: Int = 100, maxLineBytes: Int = 1024) async throws -> [[LineReader.Line]] {
        var reader = LineReader(ChunkedInput(chunks), maxLineBytes: maxLineBytes)
        var batches: [[LineReader.Line]] = []
        while let batch = try await reader.nextLines(maxLines: maxLines) {
            batches.append(batch)
        }
        return batches
    }

    private func complete(_ texts: String...) -> [LineReader.Line] {
        texts.map { .complete(Array($0.utf8)) }
    }

    @Test func linesSplitAcrossChunksAreJoinedAndTheLastLineNeedsNoNewline() async throws {
        let batches = try await allLines([Array("ab".utf8), Array("c\nde\n\nf".utf8), Array("g".utf8)])
        #expect(batches.flatMap { $0 } == complete("abc", "de", "", "fg"))
    }

    @Test func aTrailingNewlineAddsNoEmptyLineAndBatchesAreBounded() async throws {
        let batches = try await allLines([Array("1\n2\n3\n4\n5\n".utf8)], maxLines: 2)
        #expect(batches.map(\.count) == [2, 2, 1])
        #expect(try await allLines([]).isEmpty)
    }

    @Test func aLineOverTheLimitIsReportedByNumberAndLengthAndTheRestStillRead() async throws {
        let chunks = ["abcd\nef", "ghij", "kl\nmn\n", "opqrstu"].map { Array($0.utf8) }
        let lines = try await allLines(chunks, maxLineBytes: 4).flatMap { $0 }
        #expect(lines == complete("abcd") + [.tooLong(number: 2, length: 8)] + complete("mn") + [.tooLong(number: 4, length: 7)])
    }

    @Test func aLongLineInManySmallChunksIsSkippedWithoutBeingKept() async throws {
        let chunks = [[UInt8]](repeating: [UInt8](repeating: UInt8(ascii: "x"), count: 1000), count: 2000) + [Array("\nafter\n".utf8)]
        let lines = try await allLines(chunks, maxLineBytes: 10_000).flatMap { $0 }
        #expect(lines == [.tooLong(number: 1, length: 2_000_000)] + complete("after"))
    }
}
