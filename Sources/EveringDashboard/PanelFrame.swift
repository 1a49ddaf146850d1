/// Draws a panel's border with its title; the focused panel gets a bold, highlighted
/// title so Tab's effect is visible even without colour.
public enum PanelFrame {
    /// Draws the frame and returns the inner rect.
    @discardableResult
    public static func draw(_ rect: Rect, title: String, focused: Bool, glyphs: Glyphs, into grid: inout ScreenGrid,
                            rightTitle: String? = nil) -> Rect {
        guard rect.width >= 2 && rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let border = TextStyle(focused ? .title : .muted, focused ? .bold : [])
        grid.fill(Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1), with: Cell(glyphs.horizontal, border))
        grid.fill(Rect(x: rect.x + 1, y: rect.maxY - 1, width: rect.width - 2, height: 1), with: Cell(glyphs.horizontal, border))
        grid.fill(Rect(x: rect.x, y: rect.y + 1, width: 1, height: rect.height - 2), with: Cell(glyphs.vertical, border))
        grid.fill(Rect(x: rect.maxX - 1, y: rect.y + 1, width: 1, height: rect.height - 2), with: Cell(glyphs.vertical, border))
        grid[rect.x, rect.y] = Cell(glyphs.topLeft, border)
        grid[rect.maxX - 1, rect.y] = Cell(glyphs.topRight, border)
        grid[rect.x, rect.maxY - 1] = Cell(glyphs.bottomLeft, border)
        grid[rect.maxX - 1, rect.maxY - 1] = Cell(glyphs.bottomRight, border)
        let label = focused ? "[\(title)]" : " \(title) "
        let titleStyle = TextStyle(.title, focused ? [.bold, .reverse] : .bold)
        let end = grid.put(label, x: rect.x + 1, y: rect.y, style: titleStyle, maxWidth: rect.width - 2)
        if let rightTitle, !rightTitle.isEmpty {
            let text = " \(rightTitle) "
            let start = rect.maxX - 1 - text.unicodeScalars.count
            if start > end { grid.put(text, x: start, y: rect.y, style: TextStyle(.muted)) }
        }
        return rect.inset
    }
}
