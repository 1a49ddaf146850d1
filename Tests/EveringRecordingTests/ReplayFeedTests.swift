import EveringDashboard
import EveringInspect
import EveringRecording
import XCTest

/// The replay's keys and screen, without a terminal.
final class ReplayFeedTests: XCTestCase {
    func makeFeed() throws -> ReplayFeed {
        let bytes = RecordingFixtures.encode(RecordingFixtures.stallAt12s(), interval: 100_000_000)
        return ReplayFeed(try RecordingReader(bytes: bytes, path: "mem"))
    }

    func testKeysStepSeekChangeSpeedAndJump() throws {
        let feed = try makeFeed()
        XCTAssertEqual(feed.position, 0)
        XCTAssertEqual(feed.handle(.right), .moved)
        XCTAssertEqual(feed.position, 1)
        XCTAssertTrue(feed.paused, "stepping pauses")
        XCTAssertEqual(feed.handle(.left), .moved)
        XCTAssertEqual(feed.handle(.left), .moved)
        XCTAssertEqual(feed.position, 0, "clamped at the start")
        XCTAssertEqual(feed.handle(.character("]")), .moved)
        XCTAssertEqual(feed.position, 100, "+10 s at 10 Hz")
        XCTAssertEqual(feed.handle(.character("]")), .moved)
        XCTAssertEqual(feed.position, 199, "clamped at the end")
        XCTAssertEqual(feed.handle(.character("[")), .moved)
        XCTAssertEqual(feed.position, 99)
        XCTAssertEqual(feed.handle(.character("g")), .moved)
        XCTAssertEqual(feed.position, 120, "the first frame with a finding")
        XCTAssertEqual(feed.handle(.character("G")), .moved)
        XCTAssertEqual(feed.position, 199)
        XCTAssertEqual(feed.speed, 1)
        for _ in 0..<10 { _ = feed.handle(.character("+")) }
        XCTAssertEqual(feed.speed, 16)
        for _ in 0..<10 { _ = feed.handle(.character("-")) }
        XCTAssertEqual(feed.speed, 0.25)
        XCTAssertNil(feed.handle(.tab), "not a replay key: the dashboard's")
        XCTAssertEqual(feed.handle(.character("q")), .quit)
    }

    func testPlaybackAdvancesWithSpeedAndStopsAtTheEnd() throws {
        let feed = try makeFeed()
        feed.paused = false
        XCTAssertTrue(feed.advance(bySeconds: 0.5))
        XCTAssertEqual(feed.position, 5)
        _ = feed.handle(.character("+"))  // ×2
        XCTAssertTrue(feed.advance(bySeconds: 0.5))
        XCTAssertEqual(feed.position, 15)
        feed.paused = true
        XCTAssertFalse(feed.advance(bySeconds: 5), "paused: no movement")
        feed.paused = false
        _ = feed.advance(bySeconds: 100)
        XCTAssertTrue(feed.isAtEnd)
        XCTAssertTrue(feed.paused, "playback pauses at the end")
    }

    /// The screen at a frame shows what the report for that frame says (what `dump --at` prints).
    func testScreenAgreesWithTheReportAtTheFrame() throws {
        let feed = try makeFeed()
        feed.seek(to: 15)
        let report = feed.recording.report(at: feed.position)
        let grid = feed.render(state: DashboardState(interval: 1, ascii: true, color: false), width: 120, height: 40)
        let text = grid.text
        XCTAssertTrue(text.contains("REPLAY 2023-11-14 22:13:35.000 UTC"), text)
        XCTAssertTrue(text.contains("head \(report.snapshot.submission.head)  tail \(report.snapshot.submission.tail)"), text)
        XCTAssertTrue(text.contains(" STUCK "), text)
        XCTAssertEqual(report.status, .stuck)
        XCTAssertTrue(text.contains("has not taken from the submission queue"), text)
        XCTAssertTrue(grid.text(row: 39).contains("+15.000s/19.900s"), grid.text(row: 39))
    }
}
