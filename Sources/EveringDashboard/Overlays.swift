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

    /// A full-width banner row (ring gone), drawn over the footer of the last frame.
    public static func banner(_ text: String, row: Int, into grid: inout ScreenGrid) {
        grid.fill(Rect(x: 0, y: row, width: grid.width, height: 1), with: Cell(" ", TextStyle(.banner, .bold)))
        let x = max(0, (grid.width - text.count) / 2)
        grid.put(text, x: x, y: row, style: TextStyle(.banner, .bold))
    }
}
