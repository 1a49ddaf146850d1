import XCTest
@testable import EveringLoad

final class PayloadFormatTests: XCTestCase {
    func withPayload(_ size: Int, tag: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        PayloadFormat.encode(tag: tag, into: buffer)
        body(buffer)
    }

    func testRoundTripAtEverySizeClass() {
        for size in [4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 64, 1000, 1 << 20] {
            for sequence: UInt64 in [0, 1, 12345, 1 << 40] {
                let tag = PayloadFormat.tag(sequence: sequence, response: true, rejected: sequence == 1)
                withPayload(size, tag: tag) { buffer in
                    guard let decoded = PayloadFormat.decode(UnsafeRawBufferPointer(buffer)) else {
                        return XCTFail("size \(size) sequence \(sequence) did not decode")
                    }
                    XCTAssertTrue(decoded.matches(sequence), "size \(size)")
                    XCTAssertFalse(decoded.matches(sequence + 1), "size \(size)")
                    XCTAssertTrue(decoded.isResponse)
                    XCTAssertEqual(decoded.isRejected, sequence == 1)
                    XCTAssertEqual(decoded.sequenceBits, size >= 8 ? 62 : 30)
                }
            }
        }
    }

    /// From 16 bytes up, a single flipped bit anywhere (header, checksum or body) is caught.
    func testEveryFlippedBitIsDetectedFrom16Bytes() {
        for size in [16, 17, 40, 48, 131, 200] {
            withPayload(size, tag: 99) { buffer in
                for byte in 0..<size {
                    for bit in 0..<8 {
                        buffer[byte] ^= UInt8(1 << bit)
                        let decoded = PayloadFormat.decode(UnsafeRawBufferPointer(buffer))
                        XCTAssertNil(decoded, "size \(size): flip of byte \(byte) bit \(bit) went unnoticed")
                        buffer[byte] ^= UInt8(1 << bit)
                    }
                }
                XCTAssertNotNil(PayloadFormat.decode(UnsafeRawBufferPointer(buffer)))
            }
        }
    }

    /// Under 16 bytes: the sequence field is always checked; flips in the check bytes are caught.
    func testSmallPayloadsCatchSequenceAndCheckByteDamage() {
        for size in [4, 6, 8, 12, 15] {
            withPayload(size, tag: PayloadFormat.tag(sequence: 77, response: false)) { buffer in
                for byte in 0..<size {
                    buffer[byte] ^= 0x10
                    let decoded = PayloadFormat.decode(UnsafeRawBufferPointer(buffer))
                    // With check bytes present any damage is caught; without (size 4/8) a damaged
                    // sequence field still decodes but no longer matches 77.
                    XCTAssertFalse(decoded?.matches(77) ?? false, "size \(size) byte \(byte)")
                    buffer[byte] ^= 0x10
                }
            }
        }
    }

    func testDifferentSequencesGiveDifferentBodies() {
        withPayload(64, tag: 1) { a in
            withPayload(64, tag: 2) { b in
                XCTAssertNotEqual(Array(a[16...]), Array(b[16...]))
            }
        }
    }
}
