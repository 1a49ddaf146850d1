import CNcurses
import Evering
import EveringDashboard

/// What the loop drives: something that can take a sample and render the current view.
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

/// The htop-style loop: sample when the interval has elapsed, draw as a separate step
/// (after a sample, a key or a resize), and wait for keys in between. Keys are read
/// with a timeout of at most 100 ms so a quit signal is noticed promptly.
public enum DashboardLoop {
    /// How the loop ended.
    public enum Exit: Equatable, Sendable {
        case quitKey
        /// SIGINT, SIGTERM or SIGHUP (the signal number).
        case signal(Int32)
    }

    /// Runs the dashboard until `q` or a quit signal. The terminal is restored whatever
    /// happens: on return, on a thrown error, on the quit signals (which end the loop
    /// instead of killing the process), and on a crash (the handler leaves curses mode
    /// before the process dies).
    public static func run(source: DashboardSource, state initial: DashboardState) throws -> Exit {
        var state = initial
        cn_install_quit_handlers()
        cn_install_crash_handlers()
        defer { cn_restore_signal_handlers() }  // runs after screen.stop() (defers run in reverse)
        let screen = TerminalScreen()
        try screen.start(useColor: state.color)
        defer { screen.stop() }
        var nextSample = Clock.monotonicNanoseconds
        var dirty = true
        while true {
            let signal = cn_quit_signal()
            if signal != 0 { return .signal(signal) }
            let now = Clock.monotonicNanoseconds
            if !state.paused && now >= nextSample {
                source.sample()
                // Schedule from the planned time (no drift), but never in the past after a stall.
                nextSample = max(nextSample &+ intervalNanoseconds(state), now &+ 1_000_000)
                dirty = true
            }
            if dirty {
                let size = screen.size
                state.clampScroll(to: source.scrollLimits(state: state, width: size.width, height: size.height))
                screen.draw(source.render(state: state, width: size.width, height: size.height))
                dirty = false
            }
            let untilSample = state.paused ? UInt64.max : (nextSample > now ? nextSample - now : 0)
            // Rounded up: rounding down would poll getch() without waiting (timeout 0) over and
            // over for the last sub-millisecond before every sample.
            let waitMilliseconds = Int(min(untilSample / 1_000_000 + (untilSample % 1_000_000 == 0 ? 0 : 1), 100))
            guard let key = screen.readKey(milliseconds: waitMilliseconds) else { continue }
            if key == .resize {
                screen.invalidate()
                dirty = true
                continue
            }
            let pageSize = max(1, screen.size.height / 3)
            switch state.handle(key, pageSize: pageSize) {
            case .quit:
                return .quitKey
            case .intervalChanged:
                nextSample = Clock.monotonicNanoseconds &+ intervalNanoseconds(state)
            case .resetPeaks:
                source.resetPeaks()
            case .none:
                break
            }
            dirty = true
        }
    }

    static func intervalNanoseconds(_ state: DashboardState) -> UInt64 {
        UInt64(max(state.interval, DashboardState.minimumInterval) * 1e9)
    }
}
