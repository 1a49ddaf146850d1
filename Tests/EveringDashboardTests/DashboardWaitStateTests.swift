import XCTest
@testable import EveringDashboard
import EveringInspect

/// Each side's wait state (ABI 1.1 wait records) and capabilities on the dashboard: the
/// queue panels' wait row (tall) or segment (80x24), the header's wake-ups segment, and
/// nothing made up for a 1.0 ring.
final class DashboardWaitStateTests: XCTestCase {
    typealias F = DashboardFixtures
    let ms: UInt64 = 1_000_000

    func render(_ input: DashboardInput, width: Int = 120, height: Int = 40) -> ScreenGrid {
        DashboardRenderer.render(input, state: DashboardState(), width: width, height: height, now: F.now)
    }

    /// The healthy fixture as a 1.1 ring: the responder asleep on the SQ for 1.2 s (the SQ
    /// is empty), the requester running; requester wakes its peer, responder too and sleeps
    /// with membarrier.
    func input11(sq: (UInt64, UInt64) = (123_456, 123_456), lateWakes: UInt64 = 0, findings: [Finding] = []) -> DashboardInput {
        var snapshot = F.snapshot(sq: sq)
        snapshot.header?.abiMinor = 1
        snapshot.requester?.capabilities = [.wakesPeer, .slotSeq]
        snapshot.requester?.waits = [
            WaiterStatus(queue: .completion, role: .consumer, sleeping: false, sinceNanoseconds: nil, ageNanoseconds: nil, wakes: 40),
            WaiterStatus(queue: .submission, role: .producer, sleeping: false, sinceNanoseconds: nil, ageNanoseconds: nil)]
        snapshot.responder?.capabilities = [.wakesPeer, .sleepMembarrier]
        snapshot.responder?.waits = [
            WaiterStatus(queue: .submission, role: .consumer, sleeping: true, sinceNanoseconds: F.now - 1200 * ms,
                         ageNanoseconds: 1200 * ms, cpu: 1, wakes: 1500, lateWakes: lateWakes),
            WaiterStatus(queue: .completion, role: .producer, sleeping: false, sinceNanoseconds: nil, ageNanoseconds: nil)]
        return DashboardInput(name: "evering-demo", connection: .live, snapshot: snapshot, history: F.history(),
                              alerts: F.alerts(findings))
    }

    func testTallQueuePanelsShowBothWaitersAndTheirCounters() throws {
        let grid = render(input11())
        let row = try XCTUnwrap(grid.rowContaining("wait  resp asleep 1.2s"), grid.text)
        let text = grid.text(row: row)
        XCTAssertTrue(text.contains("wait  resp asleep 1.2s  req running  late 0  wakes 1.5k"), text)
        // The completion queue's panel, on the same row: its consumer is the requester.
        XCTAssertTrue(text.contains("wait  req running  resp running  late 0  wakes 40"), text)
        let column = try XCTUnwrap(grid.find("resp asleep", row: row))
        XCTAssertEqual(grid[column, row].style.role, .normal, "asleep on an empty queue is nothing to shout about")
    }

    func testLateWakesAndALostWakeUpAreColoured() throws {
        let lost = Finding(rule: .lostWakeUp, severity: .critical, subject: "sq", message: "m", culprit: .requester)
        let grid = render(input11(sq: (123_456, 123_460), lateWakes: 3, findings: [lost]))
        let row = try XCTUnwrap(grid.rowContaining("wait  resp asleep 1.2s"), grid.text)
        let asleep = try XCTUnwrap(grid.find("resp asleep", row: row))
        XCTAssertEqual(grid[asleep, row].style.role, .critical)
        let late = try XCTUnwrap(grid.find("late 3", row: row))
        XCTAssertEqual(grid[late, row].style.role, .warning)
        XCTAssertTrue(grid.text(row: row).contains("wait  resp asleep 1.2s  late 3  req running"), "late comes first when not 0")
        // At 80 columns (tall) the late count still fits.
        let narrow = DashboardRenderer.render(input11(sq: (1, 5), lateWakes: 3, findings: [lost]), state: DashboardState(),
                                              width: 80, height: 40, now: F.now)
        XCTAssertNotNil(narrow.rowContaining("wait  resp asleep 1.2s  late 3"), narrow.text)
    }

    func testAt80x24TheSleeperIsASegmentWhereItFits() throws {
        // Six-digit indices leave no room after them: it goes after "(empty)".
        let grid = render(input11(), width: 80, height: 24)
        let row = try XCTUnwrap(grid.rowContaining("head 123456  tail 123456"), grid.text)
        XCTAssertFalse(grid.text(row: row).contains("asleep"), grid.text(row: row))
        XCTAssertTrue(grid.text.contains("at head: (empty)  resp asleep 1.2s"), grid.text)
        XCTAssertNil(grid.rowContaining("wait  "), "no room for a row of its own")
        // Short indices: right after them.
        var young = input11()
        young.snapshot?.submission = QueueStatus(kind: .submission, head: 12, tail: 12, capacity: 256)
        let small = render(young, width: 80, height: 24)
        XCTAssertTrue(small.text.contains("head 12  tail 12  resp asleep 1.2s"), small.text)
        XCTAssertEqual(small.text.components(separatedBy: "resp asleep").count, 2, "shown once")
    }

    func testHeaderNamesWhoWakesItsPeer() {
        XCTAssertTrue(render(input11()).text(row: 0).contains("wake-ups req+resp (membarrier resp)"), render(input11()).text(row: 0))
        var oldPeer = input11()
        oldPeer.snapshot?.requester?.capabilities = []
        XCTAssertEqual(oldPeer.snapshot.flatMap(HeaderPanel.wakeUpsText), "wake-ups resp (membarrier resp)")
        oldPeer.snapshot?.responder?.capabilities = []
        XCTAssertEqual(oldPeer.snapshot.flatMap(HeaderPanel.wakeUpsText), "wake-ups none")
    }

    func testA10RingShowsNA() throws {
        let grid = render(F.healthyInput())
        let row = try XCTUnwrap(grid.rowContaining("wait  n/a (ABI 1.0 ring)"), grid.text)
        XCTAssertEqual(grid.text(row: row).components(separatedBy: "n/a (ABI 1.0 ring)").count, 3, "both panels")
        XCTAssertFalse(grid.text(row: 0).contains("wake-ups"), grid.text(row: 0))
        XCTAssertFalse(grid.text.contains("asleep"))
        XCTAssertFalse(grid.text.contains("running"))
    }
}
