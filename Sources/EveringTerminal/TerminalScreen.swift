import CNcurses
import EveringDashboard

/// The ncurses session: started once, drawn many times, always stopped. Drawing copies a
/// `ScreenGrid` to the terminal row by row, skipping rows unchanged since the last frame
/// (ncurses would diff them too, but not building the strings is cheaper).
///
/// Only one instance may be active (curses has one global screen); `stop()` is idempotent
/// and `TerminalLoop.run` calls it (in a `defer`) on every exit path.
final class TerminalScreen {
    private(set) var palette = ColorPalette(useColor: false)
    private var lastFrame: ScreenGrid?
    private var active = false

    func start(useColor: Bool) throws(TerminalUnavailable) {
        try TerminalUnavailable.check()
        guard cn_start() == 0 else {
            // The check passed, so this is rare (a terminfo entry newterm rejects).
            throw .unknownTerm(getenv("TERM").map { String(cString: $0) } ?? "")
        }
        active = true
        palette = ColorPalette(useColor: useColor)
    }

    func stop() {
        guard active else { return }
        active = false
        cn_stop()
    }

    var size: (width: Int, height: Int) { (Int(cn_cols()), Int(cn_lines())) }

    /// Forget what is on screen (after a resize the terminal content is undefined).
    func invalidate() {
        lastFrame = nil
        cn_clear_screen()
    }

    func draw(_ grid: ScreenGrid) {
        let previous = lastFrame.flatMap { $0.width == grid.width && $0.height == grid.height ? $0 : nil }
        if previous == nil { cn_erase() }
        for row in 0..<grid.height {
            if let previous, grid.rowEquals(previous, row: row) { continue }
            for run in grid.styleRuns(row: row) {
                let (pair, bits) = palette.resolve(run.style)
                var text = run.text
                text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        cn_put(Int32(row), Int32(run.x), chars.baseAddress, Int32(chars.count), bits, pair)
                    }
                }
            }
        }
        cn_refresh()
        lastFrame = grid
    }

    /// The next key, waiting at most `milliseconds`; nil when none arrived.
    func readKey(milliseconds: Int) -> DashboardKey? {
        let code = cn_read_key(Int32(milliseconds))
        if code == KEY_MOUSE {
            var x: Int32 = 0, y: Int32 = 0
            return cn_mouse_click(&x, &y) == 1 ? .click(x: Int(x), y: Int(y)) : nil
        }
        return Self.decode(code)
    }

    /// Asks for mouse clicks (the overview). Not for the ring dashboard: capturing the mouse
    /// takes the terminal's own text selection away, and it has nothing to click.
    func setMouse(_ enabled: Bool) {
        if enabled { _ = cn_enable_mouse() } else { cn_disable_mouse() }
    }

    static func decode(_ code: Int32) -> DashboardKey? {
        switch code {
        case ERR: return nil
        case KEY_RESIZE: return .resize
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_BTAB: return .backTab
        case 9: return .tab
        case 27: return .escape
        case 10, 13, KEY_ENTER: return .enter
        case 8, 127, KEY_BACKSPACE: return .backspace
        case cn_function_key(1)...cn_function_key(12): return .function(Int(code - cn_function_key(0)))
        case 0x20..<0x7f: return .character(Character(Unicode.Scalar(UInt8(code))))
        default: return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
