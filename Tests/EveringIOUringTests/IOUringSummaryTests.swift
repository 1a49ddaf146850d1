import XCTest
@testable import EveringIOUring
import EveringInspect

/// The io_uring facts for the dashboard header, from real fdinfo texts.
final class IOUringSummaryTests: XCTestCase {
    let instance = IOUringInstance(pid: 42, command: "app", fd: 7)

    func snapshot(_ fixture: String) throws -> Snapshot {
        try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: try fdinfoFixture(fixture)),
                                           liveness: .alive, takenAt: 1))
    }

    func testSQPollRingNamesItsThreadAndIdleShare() throws {
        let segments = IOUringSummary.segments(try snapshot("sqpoll-stalled.txt"))
        // SqThread 9892 on cpu 0, SqWorkTime 0 of SqTotalTime 10316 µs; SQ 8, CQ 16 (the default 2x).
        XCTAssertEqual(segments.map(\.text), ["setup SQPOLL", "thread 9892 cpu 0 idle 100%", "overflow 0", "files 0 bufs 0"])
        XCTAssertFalse(segments.contains(where: \.needsAttention))
    }

    func testOverflowNeedsAttention() throws {
        let segments = IOUringSummary.segments(try snapshot("overflow.txt"))
        let overflow = try XCTUnwrap(segments.first { $0.text.hasPrefix("overflow ") })
        XCTAssertNotEqual(overflow.text, "overflow 0")
        XCTAssertTrue(overflow.needsAttention)
        XCTAssertEqual(segments.first?.text, "setup -", "no SQPOLL thread, default CQ size")
    }

    func testCQSizeIsInferredAndIdleNeedsBothTimes() throws {
        var ring = try snapshot("idle.txt")
        ring.completion.capacity = ring.submission.capacity * 8
        XCTAssertEqual(IOUringSummary.segments(ring).first?.text, "setup CQSIZE")
        XCTAssertEqual(IOUringSummary.idlePercent(work: "250", total: "1000"), 75)
        XCTAssertNil(IOUringSummary.idlePercent(work: "250", total: nil))
        XCTAssertNil(IOUringSummary.idlePercent(work: "1", total: "0"))
        XCTAssertEqual(IOUringSummary.idlePercent(work: "2000", total: "1000"), 0, "a busy time past the total is not negative idle")
        var evering = ring
        evering.source = .evering
        XCTAssertEqual(IOUringSummary.segments(evering), [])
    }
}
