import CNcurses
import Evering
import EveringDashboard

/// The htop-style loop every screen shares: sample the top view when its interval has
/// elapsed (or, for a view on its own time such as a replay, when it says it is due), draw
/// as a separate step (after a sample, a key or a resize), and wait for keys in between,
/// with a timeout of at most 100 ms so a quit signal is noticed promptly.
/// Views form a stack: `open` pushes one (drawn on the same curses screen), `back` pops it,
/// and the view below is sampled again at once so it is current when it reappears.
public enum TerminalLoop {
    /// How the loop ended.
    public enum Exit: Equatable, Sendable {
        case quitKey
        /// SIGINT, SIGTERM or SIGHUP (the signal number).
        case signal(Int32)
    }

    /// Runs `root` (and whatever it opens) until `q`, a `back` from the root, or a quit
    /// signal. The terminal is restored whatever happens: on return, on a thrown error, on
    /// the quit signals (which end the loop instead of killing the process), and on a crash
    /// (the handler leaves curses mode before the process dies).
    public static func run(_ root: any TerminalView, color: Bool) throws -> Exit {
        cn_install_quit_handlers()
        cn_install_crash_handlers()
        defer { cn_restore_signal_handlers() }  // runs after screen.stop() (defers run in reverse)
        let screen = TerminalScreen()
        try screen.start(useColor: color)
        defer { screen.stop() }
        var views: [any TerminalView] = [root]
        screen.setMouse(root.wantsMouse)
        var nextSample = Clock.monotonicNanoseconds
        var dirty = true
        while let view = views.last {
            let signal = cn_quit_signal()
            if signal != 0 { return .signal(signal) }
            let now = Clock.monotonicNanoseconds
            if !view.paused && now >= nextSample {
                view.sample()
                nextSample = nextSampleTime(of: view, planned: nextSample, now: now)
                dirty = true
            }
            if dirty {
                let size = screen.size
                screen.draw(view.render(width: size.width, height: size.height))
                dirty = false
            }
            let untilSample = view.paused ? UInt64.max : (nextSample > now ? nextSample - now : 0)
            // Rounded up: rounding down would poll getch() without waiting (timeout 0) over and
            // over for the last sub-millisecond before every sample.
            let waitMilliseconds = Int(min(untilSample / 1_000_000 + (untilSample % 1_000_000 == 0 ? 0 : 1), 100))
            guard let key = screen.readKey(milliseconds: waitMilliseconds) else { continue }
            dirty = true
            if key == .resize {
                screen.invalidate()
                continue
            }
            let size = screen.size
            switch view.handle(key, width: size.width, height: size.height) {
            case .none:
                break
            case .quit:
                return .quitKey
            case .reschedule:
                let now = Clock.monotonicNanoseconds
                nextSample = nextSampleTime(of: view, planned: now, now: now)
            case let .open(next):
                views.append(next)
                switchTo(next, on: screen, nextSample: &nextSample)
            case .back:
                views.removeLast()
                if let below = views.last { switchTo(below, on: screen, nextSample: &nextSample) }
            }
        }
        return .quitKey
    }

    /// A different view takes the screen: sample it now, and redraw everything.
    private static func switchTo(_ view: any TerminalView, on screen: TerminalScreen, nextSample: inout UInt64) {
        screen.setMouse(view.wantsMouse)
        screen.invalidate()
        nextSample = Clock.monotonicNanoseconds
    }

    /// When to sample `view` next, having sampled it (or had its timing changed by a key) at
    /// `now`, with `planned` the time that sample was due. A live view: `planned` plus its
    /// interval (no drift), but never in the past after a stall. A view on its own time: when
    /// it says, but at most every `minimumInterval`, which caps how often a replay redraws.
    static func nextSampleTime(of view: any TerminalView, planned: UInt64, now: UInt64) -> UInt64 {
        if let due = view.nextSampleDue {
            return max(due, now &+ intervalNanoseconds(DashboardState.minimumInterval))
        }
        return max(planned &+ intervalNanoseconds(view.interval), now &+ 1_000_000)
    }

    static func intervalNanoseconds(_ interval: Double) -> UInt64 {
        UInt64(max(interval, DashboardState.minimumInterval) * 1e9)
    }
}
