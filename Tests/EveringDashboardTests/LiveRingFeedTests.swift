import Evering
import EveringDashboard
import EveringInspect
import EveringTerminal
import XCTest

/// The feed behind `attach`: waits for a ring that is not there yet, attaches when it
/// appears, and keeps the last frame with a banner once the ring is unlinked.
final class LiveRingFeedTests: XCTestCase {
    /// `demo` waits for its own load's ring: an older ring under the same name (left by an
    /// earlier run, about to be replaced) must not be attached and then reported gone.
    func testWaitsForTheExpectedCreatorsRing() throws {
        let name = uniqueRingName("creator")
        defer { try? unlinkRing(name) }
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        defer { requester.detach() }
        let other = LiveRingFeed(name: name, reader: nil, expectedCreator: getpid() + 1) { snapshot, history in
            Diagnosis.diagnose(snapshot, history: history)
        }
        other.sample()
        guard case let .waiting(reason) = other.input.connection else {
            return XCTFail("expected waiting, got \(other.input.connection)")
        }
        XCTAssertTrue(reason.contains("older ring"), reason)
        let mine = LiveRingFeed(name: name, reader: nil, expectedCreator: getpid()) { snapshot, history in
            Diagnosis.diagnose(snapshot, history: history)
        }
        mine.sample()
        XCTAssertEqual(mine.input.connection, .live)
    }

    func testWaitsThenAttachesThenReportsTheRingGone() throws {
        let name = uniqueRingName("feed")
        defer { try? unlinkRing(name) }
        let feed = LiveRingFeed(name: name, reader: nil) { snapshot, history in
            Diagnosis.diagnose(snapshot, history: history)
        }
        feed.sample()
        guard case let .waiting(reason) = feed.input.connection else {
            return XCTFail("expected waiting, got \(feed.input.connection)")
        }
        XCTAssertTrue(reason.contains("no object named \(name.path)"), reason)
        let waiting = feed.render(state: DashboardState(), width: 80, height: 24)
        XCTAssertNotNil(waiting.rowContaining("waiting for ring \(name.path)"), waiting.text)

        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 32, bufferSize: 64))
        defer { requester.detach() }
        let op = try XCTUnwrap(requester.trySubmit(opcode: 7, length: 0))
        feed.sample()
        XCTAssertEqual(feed.input.connection, .live)
        XCTAssertEqual(feed.input.snapshot?.submission.used, 1)
        XCTAssertEqual(feed.input.snapshot?.slots?.busy.first?.index, op.slot)
        let live = feed.render(state: DashboardState(), width: 80, height: 24)
        XCTAssertNotNil(live.rowContaining("used 1/16"), live.text)
        XCTAssertNil(live.rowContaining("waiting for ring"))

        try unlinkRing(name)
        feed.sample()
        guard case let .gone(why) = feed.input.connection else {
            return XCTFail("expected gone, got \(feed.input.connection)")
        }
        XCTAssertTrue(why.contains("unlinked"), why)
        let gone = feed.render(state: DashboardState(), width: 80, height: 24)
        XCTAssertNotNil(gone.rowContaining("RING GONE"), gone.text)
        XCTAssertNotNil(gone.rowContaining("used 1/16"), "the last frame stays: \(gone.text)")
        // Further samples do not read the dead object and change nothing.
        let before = feed.input.snapshot
        feed.sample()
        XCTAssertEqual(feed.input.snapshot, before)
    }

    func testHistoryGrowsAndPeaksReset() throws {
        let name = uniqueRingName("peaks")
        defer { try? unlinkRing(name) }
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 32, bufferSize: 64))
        defer { requester.detach() }
        let feed = LiveRingFeed(name: name, reader: try SnapshotReader(attaching: name)) { _, _ in [] }
        for _ in 0..<3 { _ = requester.trySubmit(opcode: 1, length: 0) }
        feed.sample()
        XCTAssertEqual(feed.input.peaks.submissionUsed, 3)
        XCTAssertEqual(feed.input.history.count, 1)
        feed.resetPeaks()
        XCTAssertEqual(feed.input.peaks.submissionUsed, 3, "reset restarts from the latest sample")
        feed.sample()
        XCTAssertEqual(feed.input.history.count, 2)
    }
}
