import EveringDashboard

/// What the terminal loop does after a key, beyond redrawing.
public enum TerminalAction {
    case none
    case quit
    /// The view's timing changed (its refresh interval; a replay's playhead, speed or pause):
    /// schedule the next sample afresh.
    case reschedule
    /// Show another view on top of this one (the overview opening a ring's dashboard); it
    /// runs on the same terminal, without leaving curses mode.
    case open(any TerminalView)
    /// Close this view and return to the one that opened it.
    case back
}

/// One screen the loop can run: it samples its data, renders a frame and handles keys.
/// The ring dashboard (`DashboardView`), the fleet overview (`OverviewView`) and a
/// recording's dashboard (`ReplayView`) are the three.
public protocol TerminalView: AnyObject {
    /// Seconds between samples, and whether sampling is paused (both from the view's state).
    var interval: Double { get }
    var paused: Bool { get }
    /// When the view next wants a sample (monotonic nanoseconds), for a view that keeps its
    /// own time: a replay asks to be sampled when the next recorded frame falls due at its
    /// playback speed. nil (the default, the live views): `interval` after the previous
    /// sample was due. The loop samples a view on its own time at most every
    /// `DashboardState.minimumInterval` (a 100 Hz recording at ×16 is drawn at 20 Hz,
    /// skipping frames), as it does a live view at its shortest interval.
    var nextSampleDue: UInt64? { get }
    /// Whether the view reacts to mouse clicks (capturing the mouse takes the terminal's
    /// own text selection away, so views without anything to click leave it alone).
    var wantsMouse: Bool { get }
    func sample()
    /// The frame for a terminal of this size (the view may first bring its state in line
    /// with the latest data, e.g. clamp scrolling).
    func render(width: Int, height: Int) -> ScreenGrid
    func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction
}

extension TerminalView {
    public var nextSampleDue: UInt64? { nil }
}
