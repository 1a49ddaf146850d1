import EveringDashboard
import EveringRecording
@testable import EveringTerminal
import XCTest

/// The replay as a view of the terminal loop, without a terminal: playback time from a
/// test clock, the loop's schedule for it, and the key routing (replay keys, then the
/// dashboard's; the help overlay closes on any key).
final class ReplayViewTests: XCTestCase {
    static let millisecond: UInt64 = 1_000_000

    /// The 20 s, 10 Hz fixture (a stall from 11 s, reported from 12 s), paused or playing,
    /// with a clock the test moves.
    func makeView(paused: Bool) throws -> (ReplayView, TestClock) {
        let feed = ReplayFeed(try RecordingReader(bytes: ReplayFixture.bytes(), path: "mem"))
        feed.paused = paused
        let clock = TestClock()
        let view = ReplayView(feed: feed, state: DashboardState(interval: 1, ascii: true, color: false), clock: clock.read)
        return (view, clock)
    }

    /// `TerminalAction` without its payload (it carries a view, so it is not `Equatable`).
    enum Action: Equatable { case none, quit, reschedule, open, back }

    @discardableResult
    func press(_ view: ReplayView, _ key: DashboardKey) -> Action {
        switch view.handle(key, width: 120, height: 40) {
        case .none: .none
        case .quit: .quit
        case .reschedule: .reschedule
        case .open: .open
        case .back: .back
        }
    }

    final class TestClock {
        var now: UInt64 = 1_000_000_000_000
        func read() -> UInt64 { now }
    }

    func testPlaybackFollowsTheRecordedTimesScaledBySpeed() throws {
        let (view, clock) = try makeView(paused: false)
        XCTAssertEqual(view.interval, 0.1, "the recording's interval")
        XCTAssertEqual(view.nextSampleDue, clock.now + 100 * Self.millisecond, "the next frame at ×1")
        clock.now += 100 * Self.millisecond
        view.sample()
        XCTAssertEqual(view.feed.position, 1)
        clock.now += 250 * Self.millisecond
        view.sample()
        XCTAssertEqual(view.feed.position, 3, "0.35 s in")
        XCTAssertEqual(view.nextSampleDue, clock.now + 50 * Self.millisecond, "frame 4 is 0.05 s of recording away")

        // Sampled when it asks, it shows each frame in turn (no tick falls just short of one).
        for expected in 4...30 {
            clock.now = try XCTUnwrap(view.nextSampleDue)
            view.sample()
            XCTAssertEqual(view.feed.position, expected)
        }

        // `+` first plays up to the key at the old speed, then doubles it from there.
        clock.now += 25 * Self.millisecond
        XCTAssertEqual(press(view, .character("+")), .reschedule)
        XCTAssertEqual(view.feed.position, 30, "3.025 s in at ×1")
        XCTAssertEqual(view.feed.speed, 2)
        XCTAssertEqual(view.nextSampleDue, clock.now + 37_500_000, "frame 31 (0.075 s of recording) at ×2")
        clock.now += 500 * Self.millisecond
        view.sample()
        XCTAssertEqual(view.feed.position, 40, "4.025 s in: 0.5 s more at ×2")

        for _ in 0..<3 { press(view, .character("-")) }
        XCTAssertEqual(view.feed.speed, 0.25)
        XCTAssertEqual(view.nextSampleDue, clock.now + 300 * Self.millisecond, "frame 41 (0.075 s of recording) at ×0.25")

        // Playback stops (pauses) at the end; the loop then samples no more.
        clock.now += 100_000 * Self.millisecond  // 25 s of recording at ×0.25
        view.sample()
        XCTAssertTrue(view.feed.isAtEnd)
        XCTAssertTrue(view.paused)
    }

    func testTimePausedDoesNotCountWhenPlayingResumes() throws {
        let (view, clock) = try makeView(paused: true)
        clock.now += 5_000 * Self.millisecond  // paused: the loop does not sample
        XCTAssertEqual(press(view, .character(" ")), .reschedule)
        XCTAssertFalse(view.paused)
        XCTAssertEqual(view.feed.position, 0, "the paused 5 s are not played")
        XCTAssertEqual(view.nextSampleDue, clock.now + 100 * Self.millisecond)
        clock.now += 300 * Self.millisecond
        view.sample()
        XCTAssertEqual(view.feed.position, 3)

        // Pausing freezes the playhead where it is when the key is pressed.
        clock.now += 200 * Self.millisecond
        press(view, .character(" "))
        XCTAssertTrue(view.paused)
        XCTAssertEqual(view.feed.position, 5)
    }

    func testReplayKeysComeBeforeTheDashboardsAndHelpClosesOnAnyKey() throws {
        let (view, _) = try makeView(paused: true)
        XCTAssertEqual(press(view, .character("g")), .reschedule)
        XCTAssertEqual(view.feed.position, 120, "the first finding")
        XCTAssertEqual(press(view, .home), .reschedule)
        XCTAssertEqual(view.feed.position, 0, "Home is the replay's start, not the panel's top")
        XCTAssertEqual(press(view, .end), .reschedule)
        XCTAssertEqual(view.feed.position, 199)

        // Not replay keys: the dashboard's.
        let focus = view.state.focus
        XCTAssertEqual(press(view, .tab), .none)
        XCTAssertNotEqual(view.state.focus, focus)
        XCTAssertEqual(press(view, .character("r")), .none, "nothing to reset")
        XCTAssertEqual(press(view, .escape), .none, "Esc does not quit, as in attach")

        // The help overlay: any key closes it, q and replay keys included.
        XCTAssertEqual(press(view, .character("h")), .none)
        XCTAssertTrue(view.state.showHelp)
        XCTAssertEqual(press(view, .character("q")), .none)
        XCTAssertFalse(view.state.showHelp)
        press(view, .character("?"))
        XCTAssertEqual(press(view, .character("[")), .none)
        XCTAssertFalse(view.state.showHelp)
        XCTAssertEqual(view.feed.position, 199, "the key that closed help did not seek")

        XCTAssertEqual(press(view, .character("q")), .quit)
    }

    /// The loop asks a replay back when its next frame is due, but at most every 50 ms
    /// (a fast replay skips frames rather than redrawing at the recording's rate); a live
    /// view stays on its interval from the planned time.
    func testLoopScheduleForAReplayAndForALiveView() throws {
        let (view, clock) = try makeView(paused: false)
        let now = clock.now
        XCTAssertEqual(TerminalLoop.nextSampleTime(of: view, planned: now, now: now), now + 100 * Self.millisecond)
        for _ in 0..<4 { press(view, .character("+")) }
        XCTAssertEqual(view.feed.speed, 16)
        XCTAssertEqual(view.nextSampleDue, now + 6_250_000, "the next frame at ×16")
        XCTAssertEqual(TerminalLoop.nextSampleTime(of: view, planned: now, now: now), now + 50 * Self.millisecond)

        let live = IntervalView()
        XCTAssertNil(live.nextSampleDue, "live views keep the interval schedule")
        XCTAssertEqual(TerminalLoop.nextSampleTime(of: live, planned: now, now: now + 3 * Self.millisecond),
                       now + 200 * Self.millisecond, "from the planned time, no drift")
        XCTAssertEqual(TerminalLoop.nextSampleTime(of: live, planned: now, now: now + 900 * Self.millisecond),
                       now + 901 * Self.millisecond, "after a stall: soon, never in the past")
    }

    final class IntervalView: TerminalView {
        var interval: Double { 0.2 }
        var paused: Bool { false }
        var wantsMouse: Bool { false }
        func sample() {}
        func render(width: Int, height: Int) -> ScreenGrid { ScreenGrid(width: width, height: height) }
        func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction { .none }
    }
}
