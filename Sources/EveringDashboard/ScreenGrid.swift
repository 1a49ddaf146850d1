/// One character cell of the screen model.
public struct Cell: Hashable, Sendable {
    /// Always one column wide: the dashboard only uses single-width characters.
    public var character: Unicode.Scalar
    public var style: TextStyle

    public init(_ character: Unicode.Scalar = " ", _ style: TextStyle = .plain) {
        self.character = character
        self.style = style
    }

    public static let blank = Cell()
}

/// The screen as a value: what render functions produce and what both the ncurses
/// backend and the tests read. Writes outside the grid are clipped, never trapped, so a
/// panel that overflows on a small terminal loses text instead of crashing.
public struct ScreenGrid: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "negative grid size")
        self.width = width
        self.height = height
        cells = Array(repeating: .blank, count: width * height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get {
            precondition(contains(x: x, y: y), "cell (\(x),\(y)) outside \(width)x\(height)")
            return cells[y * width + x]
        }
        set {
            guard contains(x: x, y: y) else { return }
            cells[y * width + x] = newValue
        }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `text` from (x, y) rightwards, at most `maxWidth` cells (and never past the
    /// grid). Returns the column after the last cell written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: TextStyle = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0 && y < height else { return x }
        let limit = min(width, maxWidth.map { x + max(0, $0) } ?? width)
        var column = x
        for scalar in text.unicodeScalars {
            guard column < limit else { break }
            if column >= 0 { cells[y * width + column] = Cell(Self.printable(scalar), style) }
            column += 1
        }
        return column
    }

    /// Writes `text` right-aligned so that it ends just before column `endX`.
    public mutating func putRight(_ text: String, endX: Int, y: Int, style: TextStyle = .plain) {
        put(text, x: endX - text.unicodeScalars.count, y: y, style: style)
    }

    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        for row in max(rect.y, 0)..<min(rect.maxY, height) where rect.maxY > rect.y {
            for column in max(rect.x, 0)..<min(rect.maxX, width) where rect.maxX > rect.x {
                cells[row * width + column] = cell
            }
        }
    }

    /// Applies `style` to the cells of `rect` keeping their characters (selection bars).
    public mutating func restyle(_ rect: Rect, style: TextStyle) {
        for row in max(rect.y, 0)..<min(rect.maxY, height) where rect.maxY > rect.y {
            for column in max(rect.x, 0)..<min(rect.maxX, width) where rect.maxX > rect.x {
                cells[row * width + column].style = style
            }
        }
    }

    /// Row `y` as plain text (trailing blanks kept), for tests and for the backend.
    public func text(row y: Int) -> String {
        var out = String.UnicodeScalarView()
        for column in 0..<width { out.append(cells[y * width + column].character) }
        return String(out)
    }

    /// The whole screen as text, one line per row with trailing blanks trimmed.
    public var text: String {
        (0..<height).map { row in
            var line = text(row: row)
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// Runs of equally styled cells in row `y`: what the backend draws in one call each.
    public func styleRuns(row y: Int) -> [(x: Int, text: String, style: TextStyle)] {
        var runs: [(x: Int, text: String, style: TextStyle)] = []
        var start = 0
        var current = String.UnicodeScalarView()
        for column in 0..<width {
            let cell = cells[y * width + column]
            if column > start && cell.style != cells[y * width + start].style {
                runs.append((start, String(current), cells[y * width + start].style))
                start = column
                current = String.UnicodeScalarView()
            }
            current.append(cell.character)
        }
        if width > 0 { runs.append((start, String(current), cells[y * width + start].style)) }
        return runs
    }

    /// Whether row `y` equals row `y` of `other` (the backend redraws changed rows only).
    public func rowEquals(_ other: ScreenGrid, row y: Int) -> Bool {
        guard other.width == width, y < other.height, y < height else { return false }
        return cells[(y * width)..<((y + 1) * width)] == other.cells[(y * width)..<((y + 1) * width)]
    }

    /// Column of the first occurrence of `needle` in row `y`, for tests.
    public func find(_ needle: String, row y: Int) -> Int? {
        let line = Array(text(row: y).unicodeScalars)
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, pattern.count <= line.count else { return nil }
        for start in 0...(line.count - pattern.count) where Array(line[start..<(start + pattern.count)]) == pattern {
            return start
        }
        return nil
    }

    /// First row containing `needle`, for tests.
    public func rowContaining(_ needle: String) -> Int? {
        (0..<height).first { text(row: $0).contains(needle) }
    }

    /// Control characters would move the terminal's cursor; render them as '?'.
    private static func printable(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        scalar.value < 0x20 || scalar.value == 0x7f ? "?" : scalar
    }
}
