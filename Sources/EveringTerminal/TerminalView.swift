import EveringDashboard

/// What the terminal loop does after a key, beyond redrawing.
public enum TerminalAction {
    case none
    case quit
    /// The refresh interval changed: reschedule the next sample.
    case intervalChanged
    /// Show another view on top of this one (the overview opening a ring's dashboard); it
    /// runs on the same terminal, without leaving curses mode.
    case open(any TerminalView)
    /// Close this view and return to the one that opened it.
    case back
}

/// One screen the loop can run: it samples its data, renders a frame and handles keys.
/// The ring dashboard (`DashboardView`) and the fleet overview (`OverviewView`) are the two.
public protocol TerminalView: AnyObject {
    /// Seconds between samples, and whether sampling is paused (both from the view's state).
    var interval: Double { get }
    var paused: Bool { get }
    /// Whether the view reacts to mouse clicks (capturing the mouse takes the terminal's
    /// own text selection away, so views without anything to click leave it alone).
    var wantsMouse: Bool { get }
    func sample()
    /// The frame for a terminal of this size (the view may first bring its state in line
    /// with the latest data, e.g. clamp scrolling).
    func render(width: Int, height: Int) -> ScreenGrid
    func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction
}
