import CNcurses
import Evering
import EveringDashboard
import EveringRecording

/// The replay's terminal loop (`evering-top replay FILE`): like `DashboardLoop`, but time
/// comes from the recording — the playhead advances with the wall clock times the speed,
/// and the replay keys (`ReplayFeed.handle`) come before the dashboard's (Tab, scrolling,
/// sort, help). The terminal is restored whatever happens, as in the live view.
public enum ReplayLoop {
    /// Redraw at most this often while playing.
    static let frameNanoseconds: UInt64 = 50_000_000

    public static func run(feed: ReplayFeed, state initial: DashboardState) throws -> DashboardLoop.Exit {
        var state = initial
        cn_install_quit_handlers()
        cn_install_crash_handlers()
        defer { cn_restore_signal_handlers() }
        let screen = TerminalScreen()
        try screen.start(useColor: state.color)
        defer { screen.stop() }
        var last = Clock.monotonicNanoseconds
        var dirty = true
        while true {
            let signal = cn_quit_signal()
            if signal != 0 { return .signal(signal) }
            let now = Clock.monotonicNanoseconds
            if feed.advance(bySeconds: Double(now &- last) / 1e9) { dirty = true }
            last = now
            if dirty {
                let size = screen.size
                state.clampScroll(to: DashboardRenderer.scrollLimits(feed.input, state: state, width: size.width, height: size.height))
                screen.draw(feed.render(state: state, width: size.width, height: size.height))
                dirty = false
            }
            guard let key = screen.readKey(milliseconds: feed.paused ? 100 : Int(frameNanoseconds / 1_000_000)) else { continue }
            if key == .resize {
                screen.invalidate()
                dirty = true
                continue
            }
            dirty = true
            if state.showHelp {  // any key closes help (the dashboard's rule)
                _ = state.handle(key)
                continue
            }
            switch feed.handle(key) {
            case .quit: return .quitKey
            case .moved, .changed: continue
            case nil: break
            }
            if case .quit = state.handle(key, pageSize: max(1, screen.size.height / 3)) { return .quitKey }
        }
    }
}
