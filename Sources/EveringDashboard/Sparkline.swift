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
}
