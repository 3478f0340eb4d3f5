import Testing

@testable import SwitchyardMigration

@Suite struct ComparisonDigestTests {
    /// Bytes 0, 37, 74, … (mod 256) of `length`.
    private func bytes(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    }

    @Test func digestsQuotedByEarlierReportsStayTheSame() {
        let pinned: [(length: Int, hex: String)] = [
            (0, "9ca066f1a4ab2eea"), (1, "6df1093550e4a0f6"), (3, "c92ccb8ffded5587"), (5, "1f96b7eff936e8fe"),
            (7, "0ac2473ca9b99c78"), (12, "3642624b14763afe"), (36, "be0ddd3c352ef46a"),
        ]
        for (length, hex) in pinned {
            #expect(ContentDigest.hex(ContentDigest.of(bytes(length))) == hex, "length \(length)")
        }
        #expect(ContentDigest.hex(ContentDigest.of("0192f3a4-5b6c-7d8e-9f00-112233445566")) == "43249549f42bad9a")
    }

    @Test func everyByteOfEveryLengthChangesTheDigest() {
        for length in 1...40 {
            let original = bytes(length)
            let digest = ContentDigest.of(original)
            for position in 0..<length {
                var changed = original
                changed[position] ^= 0x01
                #expect(ContentDigest.of(changed) != digest, "length \(length), byte \(position)")
            }
        }
    }

    @Test func theIndexFindsWhatADictionaryWouldThroughCollisionsRemovalsAndGrowth() {
        var index = DigestIndex()
        var model: [Int: UInt64] = [:]
        var generator = SystemRandomNumberGenerator()
        // Few distinct digests, so that runs of colliding entries form and removals must shift them back.
        func digest(_ value: Int) -> UInt64 { UInt64(value % 37) << 32 | UInt64(value % 5) }
        for step in 0..<20_000 {
            let position = Int.random(in: 0..<3_000, using: &generator)
            if let known = model[position] {
                #expect(index.position(of: known) { $0 == position } == position)
                index.remove(known, position: position)
                model[position] = nil
            } else {
                index.insert(digest(step), position: position)
                model[position] = digest(step)
            }
        }
        #expect(index.count == model.count)
        for (position, known) in model {
            #expect(index.position(of: known) { $0 == position } == position)
            index.move(known, from: position, to: position + 10_000)
            #expect(index.position(of: known) { $0 == position } == nil)
            #expect(index.position(of: known) { $0 == position + 10_000 } == position + 10_000)
        }
        #expect(index.position(of: 1 << 40) { _ in true } == nil)
    }
}
