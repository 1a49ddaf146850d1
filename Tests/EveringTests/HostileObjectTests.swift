import CEvering
import XCTest
@testable import Evering

/// Objects in /dev/shm that are not healthy rings: each gives its own error, no crash.
final class HostileObjectTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    /// The bytes of a real, detached ring to mutate.
    func validRingBytes() throws -> [UInt8] {
        let name = names.make("src")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64))
        requester.detach()
        return try readRawObject(name)
    }

    func attachError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> RingError? {
        let name = names.make("bad")
        try writeRawObject(name, bytes)
        do {
            _ = try RingObserver(attaching: name)
            XCTFail("attach succeeded", file: file, line: line)
            return nil
        } catch {
            // Opening it as a side must fail the same way.
            XCTAssertThrowsError(try Responder.open(name), file: file, line: line)
            return error
        }
    }

    func patch<T>(_ bytes: [UInt8], at offset: Int, _ value: T) -> [UInt8] {
        var copy = bytes
        copy.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: T.self) }
        return copy
    }

    func offset(_ key: PartialKeyPath<ev_header>) -> Int { MemoryLayout<ev_header>.offset(of: key)! }
    func queueOffset(_ key: PartialKeyPath<ev_queue>) -> Int { Int(EV_SQ_BLOCK_OFFSET) + MemoryLayout<ev_queue>.offset(of: key)! }

    func testTheUnmodifiedCopyAttaches() throws {
        let name = names.make("copy")
        try writeRawObject(name, try validRingBytes())
        XCTAssertNoThrow(try RingObserver(attaching: name))
    }

    func testRandomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<8192).map { _ in UInt8.random(in: 1...255, using: &generator) }
        guard case .notEvering? = try attachError(bytes) else { return XCTFail() }
    }

    func testTinyAndEmptyObjects() throws {
        guard case .notEvering? = try attachError([1, 2, 3]) else { return XCTFail("3 bytes") }
        guard case .notReady? = try attachError([]) else { return XCTFail("empty object: a creator between shm_open and ftruncate") }
    }

    func testWrongMagic() throws {
        let bytes = patch(try validRingBytes(), at: 0, UInt64(0x1122_3344_5566_7788))
        guard case .notEvering(_, let reason)? = try attachError(bytes) else { return XCTFail() }
        XCTAssertTrue(reason.contains("1122334455667788"), reason)
    }

    func testFutureMajorVersion() throws {
        let bytes = patch(try validRingBytes(), at: offset(\.abi_major), UInt16(2))
        guard case .unsupportedVersion(_, let major, _)? = try attachError(bytes) else { return XCTFail() }
        XCTAssertEqual(major, 2)
    }

    func testNewerMinorVersionIsAccepted() throws {
        let name = names.make("minor")
        try writeRawObject(name, patch(try validRingBytes(), at: offset(\.abi_minor), UInt16(7)))
        XCTAssertEqual(try RingObserver(attaching: name).header.abiMinor, 7)
    }

    func testNotReady() throws {
        let bytes = patch(try validRingBytes(), at: offset(\.ready), UInt32(0))
        guard case .notReady? = try attachError(bytes) else { return XCTFail() }
    }

    func testTruncatedObjects() throws {
        let valid = try validRingBytes()
        guard case .truncated(_, let expected, let actual)? = try attachError(Array(valid[..<300])) else { return XCTFail("header cut") }
        XCTAssertEqual(expected, 4096)
        XCTAssertEqual(actual, 300)
        guard case .truncated(_, let total, _)? = try attachError(Array(valid[..<(valid.count - 4096)])) else { return XCTFail("tail cut") }
        XCTAssertEqual(total, UInt64(valid.count))
    }

    func testCapacityNotAPowerOfTwo() throws {
        let bytes = patch(try validRingBytes(), at: queueOffset(\.capacity), UInt32(12))
        guard case .layoutOutOfBounds(_, let field, _)? = try attachError(bytes) else { return XCTFail() }
        XCTAssertEqual(field, "sq.capacity")
    }

    func testMaskDisagreesWithCapacity() throws {
        let bytes = patch(try validRingBytes(), at: queueOffset(\.mask), UInt32(3))
        guard case .layoutOutOfBounds(_, let field, _)? = try attachError(bytes) else { return XCTFail() }
        XCTAssertEqual(field, "sq.mask")
    }

    func testOffsetsPointingOutsideTheObject() throws {
        let valid = try validRingBytes()
        let cases: [([UInt8], String)] = [
            (patch(valid, at: queueOffset(\.entries_offset), UInt64(1) << 40), "sq.entries_offset"),
            (patch(valid, at: queueOffset(\.entries_offset), UInt64.max - 8), "sq.entries_offset"),
            (patch(valid, at: offset(\.slots_offset), UInt64(valid.count)), "slots_offset"),
            (patch(valid, at: offset(\.buffers_offset), UInt64(16)), "buffers_offset"),
            (patch(valid, at: offset(\.sq_offset), UInt64(1) << 33), "sq_offset"),
            (patch(valid, at: offset(\.slot_count), UInt32.max), "slot_count"),
            (patch(valid, at: offset(\.header_size), UInt32(100)), "header_size"),
        ]
        for (bytes, expectedField) in cases {
            guard case .layoutOutOfBounds(_, let field, _)? = try attachError(bytes) else { XCTFail(expectedField); continue }
            XCTAssertEqual(field, expectedField)
        }
    }

    func testOverlappingSections() throws {
        let valid = try validRingBytes()
        let sqEntries = valid.withUnsafeBytes { $0.load(fromByteOffset: queueOffset(\.entries_offset), as: UInt64.self) }
        let bytes = patch(valid, at: offset(\.slots_offset), sqEntries)
        guard case .layoutOutOfBounds(_, _, let detail)? = try attachError(bytes) else { return XCTFail() }
        XCTAssertTrue(detail.contains("overlaps"), detail)
    }

    func testErrorMessagesNameTheProblem() {
        XCTAssertTrue(RingError.unsupportedVersion("/r", major: 3, minor: 1).description.contains("ABI 3.1"))
        XCTAssertTrue(RingError.permissionDenied("/r", owner: "alice (uid 1000)", mode: 0o100600).description.contains("alice"))
        XCTAssertTrue(RingError.truncated("/r", expected: 10, actual: 5).description.contains("truncated"))
    }
}
