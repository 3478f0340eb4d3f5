import Testing

@testable import SwitchyardMigration

@Suite("Spool record checksum")
struct DualWriteChecksumTests {
    @Test("CRC-32 matches the standard check value for \"123456789\"")
    func standardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test("One flipped bit changes the checksum")
    func flippedBitIsDetected() {
        let original = Array("spool record".utf8)
        var flipped = original
        flipped[3] ^= 0x01
        #expect(CRC32.checksum(original) != CRC32.checksum(flipped))
    }
}
