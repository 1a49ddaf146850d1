import EveringInspect
import XCTest
@testable import EveringIOUring

/// fdinfo -> Snapshot conversion and the rules, over fixtures and hand-made histories.
final class IOUringSnapshotTests: XCTestCase {
    let instance = IOUringInstance(pid: 42, command: "app", fd: 7)

    func snapshot(_ fixture: String, at time: UInt64 = 1_000, widened: IOUringSnapshot.Widened? = nil) throws -> Snapshot {
        let text = try fdinfoFixture(fixture)
        return try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: text), liveness: .alive,
                                                  takenAt: time, widened: widened))
    }

    func testConversionKeepsQueuesEntriesAndDetails() throws {
        let s = try snapshot("future-kernel.txt")
        XCTAssertEqual(s.name, "io_uring:42:7")
        XCTAssertEqual(s.process, ProcessStatus(pid: 42, command: "app", liveness: .alive))
        XCTAssertNil(s.requester)
        XCTAssertNil(s.slots)
        XCTAssertEqual(s.submission.capacity, 16)
        XCTAssertEqual(s.submission.used, 2)
        XCTAssertEqual(s.submission.pending.map(\.position), [10, 11])
        XCTAssertEqual(s.submission.pending.map(\.opcode), [46, 4], "URING_CMD = 46, READ_FIXED = 4")
        XCTAssertEqual(s.completion.pending.map(\.result), [0, -125])
        XCTAssertEqual(s.ioUring?.sqThread, 555)
        XCTAssertEqual(s.ioUring?.sqPoll, true)
        XCTAssertEqual(s.ioUring?.overflowCount, 1)
        XCTAssertEqual(s.ioUring?.fields["NAPI"], "enabled")
    }

    func testWrappedU32IndicesGiveTheRightUsedCount() throws {
        let s = try snapshot("old-kernel-5.15.txt")
        XCTAssertEqual(s.submission.used, 3)
        XCTAssertFalse(s.submission.isOverfull)
        XCTAssertEqual(IOUringOpcode.name(s.submission.pending[0].opcode), "READ")
    }

    func testWidenerCarriesHeadsPastTwoToTheThirtyTwo() {
        var widener = IOUringIndexWidener()
        var info = IOUringFDInfo()
        info.sqHead = UInt32.max - 1
        info.cqHead = 5
        XCTAssertEqual(widener.widen(info), .init(sqHead: UInt64(UInt32.max) - 1, cqHead: 5))
        info.sqHead = 3  // wrapped: moved by 5
        info.cqHead = 5
        XCTAssertEqual(widener.widen(info), .init(sqHead: UInt64(UInt32.max) + 4, cqHead: 5))
    }

    func testTrylockTextMakesNoSnapshot() throws {
        let text = try fdinfoFixture("trylock-empty.txt")
        XCTAssertNil(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: text), liveness: .alive, takenAt: 1))
    }

    func testInconsistentIndicesAreCorruption() throws {
        let findings = IOUringDiagnosis.diagnose(try snapshot("inconsistent-sq.txt"))
        XCTAssertEqual(findings.map(\.rule), [.corruption])
        XCTAssertEqual(findings.first?.subject, "sq")
    }

    func testStallNeedsTheHeadUnmovedForTheWholeTimeout() throws {
        let thresholds = Thresholds(stallTimeout: 1.0)
        let stuck = try snapshot("pending.txt", at: 2_000_000_000)
        let sameAt = { (t: UInt64) in Sample(try self.snapshot("pending.txt", at: t)) }
        // Unmoved for 0.5 s: nothing yet.
        XCTAssertEqual(IOUringDiagnosis.diagnose(stuck, history: [try sameAt(1_500_000_000)], thresholds: thresholds), [])
        // Unmoved for 1.0 s: both queues stalled.
        let findings = IOUringDiagnosis.diagnose(stuck, history: [try sameAt(1_000_000_000), try sameAt(1_500_000_000)], thresholds: thresholds)
        XCTAssertEqual(findings.map(\.subject).sorted(), ["cq", "sq"])
        // A head that moved in between breaks the run.
        var moved = try sameAt(1_500_000_000)
        moved.submission.head = 99
        moved.completion.head = 99
        XCTAssertEqual(IOUringDiagnosis.diagnose(stuck, history: [try sameAt(1_000_000_000), moved], thresholds: thresholds), [])
    }

    func testIdleRingNeverStalls() throws {
        let idle = try snapshot("idle.txt", at: 10_000_000_000)
        let history = [Sample(try snapshot("idle.txt", at: 1))]
        XCTAssertEqual(IOUringDiagnosis.diagnose(idle, history: history, thresholds: Thresholds(stallTimeout: 0.1)), [])
    }

    func testGoneAndUnavailableStates() throws {
        var s = try snapshot("pending.txt")
        s.ioUring?.gone = .ringClosed
        XCTAssertEqual(IOUringDiagnosis.diagnose(s, history: []).map(\.rule), [.ringGone])
        s.ioUring?.gone = nil
        s.process?.liveness = .pidReused
        let gone = IOUringDiagnosis.diagnose(s, history: [])
        XCTAssertEqual(gone.map(\.rule), [.ringGone])
        XCTAssertTrue(gone[0].message.contains("pid now belongs"))
        s.process?.liveness = .alive
        s.ioUring?.stateUnavailable = true
        let history = [Sample(try snapshot("pending.txt", at: 1))]
        XCTAssertEqual(IOUringDiagnosis.diagnose(s, history: history, thresholds: Thresholds(stallTimeout: 0)), [],
                       "no fresh state, no judgement")
    }
}

final class IOUringReportTextTests: XCTestCase {
    func testSectionShowsSQPollOverflowAndEntries() throws {
        let instance = IOUringInstance(pid: 42, command: "app", fd: 7)
        let s = try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: try fdinfoFixture("future-kernel.txt")),
                                                   liveness: .alive, takenAt: 1))
        let text = IOUringReportText.section(s)
        XCTAssertTrue(text.contains("kernel thread tid 555 on cpu 1"), text)
        XCTAssertTrue(text.contains("overflow   1 (user_data 99)"), text)
        XCTAssertTrue(text.contains("sqe #10  URING_CMD  user_data 11"), text)
        XCTAssertTrue(text.contains("cqe #4  user_data 12  flag 0x8  res -125"), text)
        let overflow = try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: try fdinfoFixture("overflow.txt")),
                                                          liveness: .alive, takenAt: 1, pendingLimit: 2))
        XCTAssertTrue(IOUringReportText.section(overflow).contains("cqe ... 14 more"))
        XCTAssertTrue(IOUringReportText.section(overflow).contains("sqpoll     none"))
        XCTAssertTrue(IOUringReportText.section(overflow).contains("use `check`"))
        let idle = try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: try fdinfoFixture("idle.txt")),
                                                      liveness: .alive, takenAt: 1))
        XCTAssertFalse(IOUringReportText.section(idle).contains("use `check`"))
        var unavailable = idle
        unavailable.ioUring = IOUringDetails(fd: 7, stateUnavailable: true)
        let unavailableText = IOUringReportText.section(unavailable)
        XCTAssertTrue(unavailableText.contains("printed no ring state"), unavailableText)
        XCTAssertTrue(unavailableText.contains("sqpoll     unknown"), unavailableText)
    }
}
