/// A history drawn as one row of level characters, newest on the right.
public enum Sparkline {
    /// Levels (0 ... levels-1) of the last `width` values, scaled to `maximum` (or to the
    /// largest value shown when nil). Zero stays level 0 and any non-zero value gets at
    /// least level 1, so "a little traffic" never looks like none.
    public static func levels(_ values: [Double], width: Int, levels: Int, maximum: Double? = nil) -> [Int] {
        guard width > 0, levels > 1 else { return [] }
        let shown = values.suffix(width)
        let top = maximum ?? shown.max() ?? 0
        return shown.map { value in
            guard value > 0, top > 0 else { return 0 }
            let level = Int((value / top * Double(levels - 1)).rounded(.up))
            return min(levels - 1, max(1, level))
        }
    }

    /// Draws right-aligned in `width` cells at (x, y).
    public static func draw(_ values: [Double], x: Int, y: Int, width: Int, maximum: Double? = nil, glyphs: Glyphs,
                            style: TextStyle, into grid: inout ScreenGrid) {
        let levels = levels(values, width: width, levels: glyphs.sparkLevels.count, maximum: maximum)
        let start = x + width - levels.count
        for (offset, level) in levels.enumerated() {
            grid[start + offset, y] = Cell(glyphs.sparkLevels[level], style)
        }
    }

    /// What a full-height bar stands for: `maximum` when the chart has a fixed scale, else
    /// the largest of the last `width` values; nil when there is nothing to scale.
    public static func top(_ values: [Double], width: Int, maximum: Double? = nil) -> Double? {
        maximum ?? values.suffix(max(0, width)).max()
    }

    /// Draws the chart in `width` cells with its scale at the right end, "▁▂▅█ 15.0k": a
    /// sparkline's heights mean nothing without it. The chart gets what the label leaves.
    public static func drawWithScale(_ values: [Double], x: Int, y: Int, width: Int, maximum: Double? = nil,
                                     label: (Double) -> String, glyphs: Glyphs, style: TextStyle,
                                     into grid: inout ScreenGrid) {
        // The label depends on the values shown, which depend on the room the label leaves:
        // size it on the widest window, then scale and label the window actually drawn.
        let roughLabel = top(values, width: width, maximum: maximum).map(label) ?? "-"
        let chartWidth = max(0, width - roughLabel.count - 1)
        let scale = top(values, width: chartWidth, maximum: maximum)
        let text = scale.map(label) ?? "-"
        draw(values, x: x, y: y, width: chartWidth, maximum: scale, glyphs: glyphs, style: style, into: &grid)
        grid.putRight(text, endX: x + width, y: y, style: TextStyle(.muted))
    }
}
