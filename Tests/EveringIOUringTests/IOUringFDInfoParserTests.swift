import XCTest
@testable import EveringIOUring

final class IOUringFDInfoParserTests: XCTestCase {
    func fixture(_ name: String) throws -> String { try fdinfoFixture(name) }

    func testIdleCapturedRing() throws {
        let info = IOUringFDInfo(parsing: try fixture("idle.txt"))
        XCTAssertTrue(info.hasRingSection)
        XCTAssertEqual(info.submissionQueue, IOUringQueueState(capacity: 8, head: 0, tail: 0))
        XCTAssertEqual(info.completionQueue, IOUringQueueState(capacity: 16, head: 0, tail: 0))
        XCTAssertEqual(info.sqeCount, 0)
        XCTAssertEqual(info.cqeCount, 0)
        XCTAssertEqual(info.sqThreadPID, -1)
        XCTAssertFalse(info.usesSQPoll)
        XCTAssertEqual(info.napi, "disabled")
        XCTAssertTrue(info.overflowListPresent)
        XCTAssertTrue(info.overflow.isEmpty)
        XCTAssertEqual(info.field("ino"), "26082")
        XCTAssertEqual(info.unparsedLines, [])
    }

    func testPendingCapturedRing() throws {
        let info = IOUringFDInfo(parsing: try fixture("pending.txt"))
        let sq = try XCTUnwrap(info.submissionQueue)
        XCTAssertEqual(sq.pending, 2)
        XCTAssertEqual(sq.free, 6)
        XCTAssertEqual(info.cachedSqHead, 3)
        XCTAssertEqual(info.sqes.map(\.index), [3, 4])
        XCTAssertEqual(info.sqes.map(\.opcode), ["NOP", "NOP"])
        XCTAssertEqual(info.sqes.map(\.userData), [2000, 2001])
        XCTAssertEqual(info.sqes.first?.fd, -1)
        XCTAssertEqual(info.sqes.first?.value("buf_index"), "0")
        XCTAssertEqual(info.completionQueue?.pending, 3)
        XCTAssertEqual(info.cqes.map(\.userData), [1000, 1001, 1002])
        XCTAssertEqual(info.cqes.map(\.result), [0, 0, 0])
        XCTAssertEqual(info.cachedCqTail, 3)
        XCTAssertEqual(info.unparsedLines, [])
    }

    func testOverflowCapturedRing() throws {
        let info = IOUringFDInfo(parsing: try fixture("overflow.txt"))
        XCTAssertEqual(info.completionQueue?.isFull, true)
        XCTAssertEqual(info.cqes.count, 16)
        XCTAssertEqual(info.overflow.map(\.userData), [4000, 4001, 4002, 4003])
        XCTAssertEqual(info.overflow.first?.index, nil)
        XCTAssertEqual(info.overflow.first?.result, 0)
    }

    func testSQPollCapturedRing() throws {
        let info = IOUringFDInfo(parsing: try fixture("sqpoll-stalled.txt"))
        XCTAssertTrue(info.usesSQPoll)
        XCTAssertGreaterThan(info.sqThreadPID ?? 0, 0)
        XCTAssertEqual(info.sqThreadCPU.map { $0 >= 0 }, true)
        XCTAssertNotNil(info.sqTotalTime)
        XCTAssertEqual(info.submissionQueue?.pending, 3)
    }

    func testTrylockEmptySection() throws {
        let info = IOUringFDInfo(parsing: try fixture("trylock-empty.txt"))
        XCTAssertFalse(info.hasRingSection)
        XCTAssertNil(info.submissionQueue)
        XCTAssertNil(info.completionQueue)
        XCTAssertFalse(info.overflowListPresent)
        XCTAssertEqual(info.fields.map(\.key), ["pos", "flags", "mnt_id", "ino"])
    }

    func testOldKernelFormatAndWrappingIndices() throws {
        let info = IOUringFDInfo(parsing: try fixture("old-kernel-5.15.txt"))
        let sq = try XCTUnwrap(info.submissionQueue)
        XCTAssertEqual(sq.capacity, 64)
        XCTAssertEqual(sq.pending, 3, "u32 indices wrap: 1 - 4294967294 = 3")
        XCTAssertFalse(sq.isInconsistent)
        XCTAssertEqual(info.sqes.map(\.opcode), ["22", "22", "1"])
        XCTAssertEqual(info.sqes.map(\.index), [62, 63, 0])
        XCTAssertEqual(info.cqes.map(\.result), [-11, 4096])
        XCTAssertEqual(info.cqes.last?.flags, 2)
        XCTAssertEqual(info.userFiles, 2)
        XCTAssertEqual(info.userBuffers, 1)
        XCTAssertEqual(info.pollList, ["op=6, task_works=0", "op=6, task_works=1"])
        XCTAssertNil(info.napi)
        XCTAssertNil(info.sqTotalTime)
        XCTAssertEqual(info.unparsedLines, [], "file, buffer and personality lines belong to their sections")
    }

    func testFutureKernelKeepsUnknownFields() throws {
        let info = IOUringFDInfo(parsing: try fixture("future-kernel.txt"))
        XCTAssertEqual(info.field("SqNewCounter"), "77")
        XCTAssertEqual(info.field("napi_busy_poll_dt"), "50")
        XCTAssertEqual(info.napi, "enabled")
        XCTAssertEqual(info.sqes.map(\.opcode), ["URING_CMD", "READ_FIXED"])
        XCTAssertEqual(info.sqes.first?.value("e1"), "0x2")
        XCTAssertEqual(info.sqes.first?.flags, 0x10)
        XCTAssertEqual(info.sqes.last?.value("new_thing"), "abc")
        XCTAssertEqual(info.cqes.first?.value("extra2"), "6")
        XCTAssertEqual(info.cqes.last?.result, -125)
        XCTAssertEqual(info.cqes.last?.flags, 8)
        XCTAssertEqual(info.overflow.map(\.userData), [99])
        XCTAssertEqual(info.sqThreadPID, 555)
        XCTAssertEqual(info.sqWorkTime, 789)
        XCTAssertEqual(info.unparsedLines, ["    rq entries: 4096"], "an unknown section's items are kept as unparsed, not lost")
    }

    func testGarbageNeverCrashesAndKeepsWhatIsValid() throws {
        let info = IOUringFDInfo(parsing: try fixture("garbage.txt"))
        XCTAssertNil(info.sqMask, "banana is not a number")
        XCTAssertNil(info.sqHead, "negative head rejected")
        XCTAssertNil(info.sqTail, "overflowing number rejected")
        XCTAssertNil(info.submissionQueue)
        XCTAssertEqual(info.cqMask, 6)
        XCTAssertNil(info.completionQueue, "0x6 is not a power-of-two mask")
        XCTAssertEqual(info.cqHead, 1, "the truncated trailing 'CqHead' line has no value and must not clobber it")
        XCTAssertNil(info.sqeCount)
        XCTAssertNil(info.cqeCount)
        XCTAssertNil(info.sqThreadPID)
        XCTAssertNil(info.userFiles)
        XCTAssertTrue(info.unparsedLines.contains("no colon here"))
        XCTAssertTrue(info.unparsedLines.contains { $0.contains("orphan") })
        XCTAssertEqual(info.field(""), "empty key")
    }

    func testInconsistentIndicesAreFlaggedNotClamped() throws {
        let sq = try XCTUnwrap(IOUringFDInfo(parsing: try fixture("inconsistent-sq.txt")).submissionQueue)
        XCTAssertEqual(sq.pending, 97)
        XCTAssertTrue(sq.isInconsistent)
        XCTAssertEqual(sq.free, 0)
    }

    func testEntryLineShapes() {
        let sqe = IOUringFDInfo.parseEntry("    3: opcode:NOP, fd:-1, flags:0, off:0, addr:0x0, rw_flags:0x0, buf_index:0 user_data:2000")
        XCTAssertEqual(sqe?.index, 3)
        XCTAssertEqual(sqe?.fields.map(\.key), ["opcode", "fd", "flags", "off", "addr", "rw_flags", "buf_index", "user_data"])
        let overflow = IOUringFDInfo.parseEntry("  user_data=4000, res=-4, flags=1")
        XCTAssertNil(overflow?.index, "user_data is a key, not an index")
        XCTAssertEqual(overflow?.result, -4)
        XCTAssertNil(IOUringFDInfo.parseEntry("    garbage"))
        XCTAssertEqual(IOUringFDInfo.parseEntry(" 18446744073709551615: user_data:18446744073709551615")?.userData, UInt64.max)
    }

    /// Random mutations of real captures and random bytes: the parser must return, and what it
    /// returns must respect its own invariants.
    func testFuzzedTextNeverCrashes() throws {
        var generator = SplitMix64(seed: 0xE7E1)
        let seeds = try ["pending.txt", "overflow.txt", "sqpoll-stalled.txt", "future-kernel.txt"].map(fixture)
        let alphabet = Array("0123456789abcdefx:=,\t\n -\r\u{0}é")
        for round in 0..<2000 {
            var chars = Array(seeds[round % seeds.count])
            for _ in 0..<(1 + Int(generator.next() % 12)) {
                let position = Int(generator.next() % UInt64(chars.count + 1))
                switch generator.next() % 3 {
                case 0 where position < chars.count: chars.remove(at: position)
                case 1: chars.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                default: if position < chars.count { chars[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                }
            }
            let info = IOUringFDInfo(parsing: String(chars))
            if let sq = info.submissionQueue { XCTAssertEqual(sq.capacity & (sq.capacity &- 1), 0) }
            XCTAssertLessThanOrEqual(info.sqes.count + info.cqes.count + info.overflow.count, chars.count)
        }
        for _ in 0..<300 {
            let bytes = (0..<Int(generator.next() % 400)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = IOUringFDInfo(parsing: String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// The text of Fixtures/NAME (see Fixtures/README.md).
func fdinfoFixture(_ name: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
    return String(decoding: try Data(contentsOf: url), as: UTF8.self)
}

/// A tiny deterministic generator so fuzz failures reproduce.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
