/// The overview's help overlay (`h`, `?`): its keys and what the columns mean. Esc (or any
/// key but q) closes it; q quits from here too.
public enum OverviewHelp {
    static let lines: [(String, String)] = [
        ("arrows", "move the cursor; PgUp PgDn Home End; click a row"),
        ("Enter", "open the ring's dashboard; Esc or Backspace comes back"),
        ("< >  F6", "sort by the previous / next column, or choose one"),
        ("I", "invert the sort; click a header to sort by it"),
        ("/", "filter by name as you type: Enter keeps it, Esc removes it"),
        ("space", "pause / resume sampling;  + / - refresh faster / slower"),
        ("q", "quit (from anywhere; also Ctrl-C)"),
        ("", ""),
        ("STATUS", "OK DEGRADED STUCK DEAD STALE GONE, as list/check show"),
        ("REQ/RESP", "pid and liveness: alive, DEAD, STOP, D (in kernel), left"),
        ("SQ% CQ%", "submission / completion queue fill"),
        ("OPS/S", "completions per second over the last interval"),
        ("OLDEST", "age of the oldest op in flight"),
        ("ALERTS", "active findings (dashboard: Alerts panel)"),
    ]

    public static func draw(state: OverviewState, into grid: inout ScreenGrid) {
        let width = min(grid.width - 2, 72)
        let height = min(grid.height, lines.count + 2)
        guard width > 10, height > 2 else { return }
        let box = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(box)
        let inner = PanelFrame.draw(box, title: "Help", focused: true, glyphs: state.glyphs, into: &grid)
        for (index, (key, meaning)) in lines.enumerated() where inner.y + index < inner.maxY {
            grid.put(key, x: inner.x + 1, y: inner.y + index, style: TextStyle(.title, .bold), maxWidth: 9)
            grid.put(meaning, x: inner.x + 11, y: inner.y + index, maxWidth: inner.width - 12)
        }
    }
}
