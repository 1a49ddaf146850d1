import EveringInspect
/// Screens and banners drawn instead of, or over, the panels.
public enum Overlays {
    /// The whole screen when it is below 80x24: what is needed, not garbage.
    public static func tooSmall(width: Int, height: Int) -> ScreenGrid {
        var grid = ScreenGrid(width: width, height: height)
        let lines = [
            "terminal too small",
            "\(width)x\(height), need at least \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight)",
            "enlarge the window, or press q to quit",
        ]
        let top = max(0, (height - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            // Long lines in a tiny window start at column 0 and are clipped.
            let x = max(0, (width - line.count) / 2)
            grid.put(line, x: x, y: top + offset, style: offset == 0 ? TextStyle(.warning, .bold) : .plain)
        }
        return grid
    }

    /// A centred one-line message in a box (waiting for ring).
    public static func message(_ lines: [String], style: TextStyle, glyphs: Glyphs, in area: Rect, into grid: inout ScreenGrid) {
        let width = min(area.width, (lines.map(\.count).max() ?? 0) + 4)
        let height = lines.count + 2
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2),
                       width: width, height: height)
        grid.fill(box)
        PanelFrame.draw(box, title: "", focused: false, glyphs: glyphs, into: &grid)
        for (offset, line) in lines.enumerated() {
            grid.put(line, x: box.x + 2, y: box.y + 1 + offset, style: offset == 0 ? style : .plain, maxWidth: width - 4)
        }
    }

    /// A full-width banner row (ring gone), drawn over the last frame.
    public static func banner(_ text: String, row: Int, into grid: inout ScreenGrid) {
        grid.fill(Rect(x: 0, y: row, width: grid.width, height: 1), with: Cell(" ", TextStyle(.banner, .bold)))
        let x = max(0, (grid.width - text.count) / 2)
        grid.put(text, x: x, y: row, style: TextStyle(.banner, .bold))
    }

    static let helpLines: [(String, String)] = [
        ("q", "quit (also Ctrl-C)"),
        ("space, p", "pause / resume sampling"),
        ("+ / -", "refresh faster / slower"),
        ("s", "cycle the in-flight sort: age, slot, state, opcode"),
        ("Tab, Shift-Tab", "move focus between panels"),
        ("arrows, PgUp, PgDn", "scroll the focused panel (Home/End)"),
        ("r", "reset peaks"),
        ("h, ?", "this help; any key closes it"),
    ]

    /// The help overlay: keys, the slot legend and the current settings.
    public static func help(state: DashboardState, into grid: inout ScreenGrid) {
        let width = min(grid.width - 4, 76)
        let height = min(grid.height - 2, helpLines.count + 8)
        let box = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(box)
        let inner = PanelFrame.draw(box, title: "Help", focused: true, glyphs: state.glyphs, into: &grid)
        var y = inner.y
        for (key, action) in helpLines where y < inner.maxY {
            grid.put(Formatting.fit(key, 20), x: inner.x + 1, y: y, style: TextStyle(.title, .bold))
            grid.put(action, x: inner.x + 21, y: y, maxWidth: inner.width - 22)
            y += 1
        }
        y += 1
        if y < inner.maxY {
            var x = grid.put("slots: ", x: inner.x + 1, y: y, style: TextStyle(.label))
            for slotState in SlotMapPanel.legendStates {
                grid[x, y] = Cell(SlotMapPanel.glyph(slotState, state: state), TextStyle(SlotMapPanel.role(slotState)))
                x = grid.put(" \(slotState.rawValue)  ", x: x + 1, y: y)
            }
            y += 1
        }
        if y < inner.maxY {
            grid.put("queues: H = consumer's head, T = producer's tail", x: inner.x + 1, y: y, maxWidth: inner.width - 2)
            y += 1
        }
        if y < inner.maxY {
            let settings = "refresh \(Formatting.duration(seconds: state.interval))  stall timeout "
                + "\(Formatting.duration(seconds: state.stallTimeout))  colour \(state.color ? "on" : "off")"
                + "  \(state.ascii ? "ascii" : "unicode")"
            grid.put(settings, x: inner.x + 1, y: y, style: TextStyle(.muted), maxWidth: inner.width - 2)
        }
    }
}
