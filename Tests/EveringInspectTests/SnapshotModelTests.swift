import XCTest
@testable import EveringInspect

/// The model's own arithmetic and its JSON form, over hand-built snapshots.
final class SnapshotModelTests: XCTestCase {
    func testQueueStatusReportsOverfullWithoutClamping() {
        let queue = QueueStatus(kind: .submission, head: 10, tail: 30, capacity: 16)
        XCTAssertEqual(queue.used, 20)
        XCTAssertEqual(queue.free, -4)
        XCTAssertTrue(queue.isOverfull)
        XCTAssertFalse(queue.isFull)
    }

    func testTailBehindHeadWrapsToHugeUsedAndIsOverfull() {
        let queue = QueueStatus(kind: .completion, head: 5, tail: 3, capacity: 8)
        XCTAssertEqual(queue.used, UInt64.max - 1)
        XCTAssertTrue(queue.isOverfull)
    }

    func testSnapshotRoundTripsThroughJSON() throws {
        let snapshot = TestSnapshots.busy()
        let text = try InspectJSON.encode(snapshot, pretty: true)
        let decoded = try InspectJSON.decode(Snapshot.self, from: text)
        XCTAssertEqual(decoded, snapshot)
        XCTAssertTrue(text.contains("\"source\" : \"evering\""), text)
    }

    func testSourceNeutralSnapshotWithoutSidesOrSlotsEncodes() throws {
        let snapshot = Snapshot(source: .ioUring, name: "io_uring:1:5", takenAtMonotonicNanoseconds: 1,
                                process: ProcessStatus(pid: 1, command: "init", liveness: .alive),
                                submission: QueueStatus(kind: .submission, head: 0, tail: 2, capacity: 8),
                                completion: QueueStatus(kind: .completion, head: 0, tail: 0, capacity: 16),
                                ioUring: IOUringDetails(fd: 5, sqPoll: false, sqThread: -1))
        let decoded = try InspectJSON.decode(Snapshot.self, from: try InspectJSON.encode(snapshot))
        XCTAssertEqual(decoded, snapshot)
        XCTAssertNil(decoded.slots)
        XCTAssertNil(decoded.requester)
        XCTAssertEqual(decoded.source, .ioUring)
    }
}

extension SnapshotModelTests {
    /// Records are the bulk of a 65,536-slot snapshot; keep an eye on their size.
    func testSlotRecordStaysCompact() {
        XCTAssertLessThanOrEqual(MemoryLayout<SlotTable.Record>.stride, 80)
    }
}
