import CNcurses
import Evering
import EveringDashboard

/// What the dashboard shows: something that can take a sample and render the current view.
/// `LiveRingFeed` is the real one; tests can drive the loop's logic through the
/// dashboard model instead.
public protocol DashboardSource: AnyObject {
    /// Reads the ring once (called every interval unless paused).
    func sample()
    /// Forgets peaks (the `r` key).
    func resetPeaks()
    /// Renders the current view for a terminal of the given size.
    func render(state: DashboardState, width: Int, height: Int) -> ScreenGrid
    /// How far each panel can scroll in that view (see `DashboardRenderer.scrollLimits`).
    func scrollLimits(state: DashboardState, width: Int, height: Int) -> [DashboardPanel: Int]
}

/// One ring's dashboard as a view of the terminal loop: a source plus the dashboard's state.
public final class DashboardView: TerminalView {
    public let source: DashboardSource
    public private(set) var state: DashboardState

    public init(source: DashboardSource, state: DashboardState) {
        self.source = source
        self.state = state
    }

    public var interval: Double { state.interval }
    public var paused: Bool { state.paused }
    public var wantsMouse: Bool { false }

    public func sample() { source.sample() }

    public func render(width: Int, height: Int) -> ScreenGrid {
        state.clampScroll(to: source.scrollLimits(state: state, width: width, height: height))
        return source.render(state: state, width: width, height: height)
    }

    public func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction {
        switch state.handle(key, pageSize: max(1, height / 3)) {
        case .quit: return .quit
        case .back: return .back
        case .intervalChanged: return .reschedule
        case .resetPeaks:
            source.resetPeaks()
            return .none
        case .none: return .none
        }
    }
}

/// The ring dashboard on its own (`attach`, `demo`): the terminal loop over one `DashboardView`.
public enum DashboardLoop {
    public typealias Exit = TerminalLoop.Exit

    /// Runs the dashboard until `q` or a quit signal, restoring the terminal whatever happens
    /// (see `TerminalLoop.run`).
    public static func run(source: DashboardSource, state: DashboardState) throws -> Exit {
        try TerminalLoop.run(DashboardView(source: source, state: state), color: state.color)
    }

    static func intervalNanoseconds(_ state: DashboardState) -> UInt64 {
        TerminalLoop.intervalNanoseconds(state.interval)
    }
}
