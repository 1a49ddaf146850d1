import Evering
import EveringDashboard
import EveringRecording

/// A recording's dashboard as a view of the terminal loop (`evering-top replay FILE`): the
/// `ReplayFeed` (playhead, speed and the screen) plus the dashboard's state.
///
/// Its time is the recording's: a sample moves the playhead by the real time since the
/// playhead was last brought up to date, times the speed, and the view asks the loop back
/// when the next recorded frame falls due at that speed (`nextSampleDue`) — a 10 Hz
/// recording at ×0.25 is redrawn every 400 ms, and nothing is sampled while paused.
/// The replay keys (`ReplayFeed.handle`) come before the dashboard's (Tab, scrolling, sort,
/// help); in the help overlay every key closes it, as in the live dashboard.
public final class ReplayView: TerminalView {
    public let feed: ReplayFeed
    public private(set) var state: DashboardState
    /// Monotonic nanoseconds (a parameter so tests can drive playback without waiting).
    private let clock: () -> UInt64
    /// When the playhead was last brought up to date: playback is measured from here.
    private var playedUntil: UInt64

    public init(feed: ReplayFeed, state: DashboardState, clock: @escaping () -> UInt64 = { Clock.monotonicNanoseconds }) {
        self.feed = feed
        self.state = state
        self.clock = clock
        playedUntil = clock()
    }

    /// The recording's sampling interval (what the header shows as the refresh); the loop
    /// schedules this view by `nextSampleDue` instead.
    public var interval: Double { Double(feed.recording.header.intervalNanoseconds) / 1e9 }
    public var paused: Bool { feed.paused }
    public var wantsMouse: Bool { false }

    public var nextSampleDue: UInt64? {
        let realSeconds = feed.secondsToNextFrame / feed.speed
        // To the nearest nanosecond, as the recording's frame lookup rounds the playhead.
        return playedUntil &+ UInt64((realSeconds * 1e9).rounded())
    }

    public func sample() {
        let now = clock()
        _ = feed.advance(bySeconds: Double(now &- playedUntil) / 1e9)
        playedUntil = now
    }

    public func render(width: Int, height: Int) -> ScreenGrid {
        state.clampScroll(to: DashboardRenderer.scrollLimits(feed.input, state: state, width: width, height: height))
        return feed.render(state: state, width: width, height: height)
    }

    public func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction {
        if state.showHelp {
            _ = state.handle(key)  // closes the overlay, whatever the key (q included)
            return .none
        }
        // Play up to this moment first, so a new speed or a pause takes effect from now
        // (samples can be seconds apart at a low speed); while paused, playing restarts from now.
        if feed.paused { playedUntil = clock() } else { sample() }
        switch feed.handle(key) {
        case .quit: return .quit
        case .moved, .changed: return .reschedule
        case nil: break
        }
        switch state.handle(key, pageSize: max(1, height / 3)) {
        case .quit: return .quit
        case .back: return .back
        // Not reached: `+`/`-` are the replay's speed keys. Peaks are rebuilt from the
        // recording at every frame, so `r` has nothing to reset.
        case .intervalChanged, .resetPeaks, .none: return .none
        }
    }
}
