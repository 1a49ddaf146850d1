/// A queue drawn as its ring of `capacity` positions squeezed into `width` cells: the
/// occupied span from head to tail (wrapping) is filled, and a marks row shows where the
/// consumer's head (H) and the producer's tail (T) are. A queue whose consumer is stuck
/// shows H frozen while T runs ahead.
public struct Gauge: Equatable, Sendable {
    public var head: UInt64
    public var tail: UInt64
    public var capacity: UInt64

    public init(head: UInt64, tail: UInt64, capacity: UInt64) {
        self.head = head
        self.tail = tail
        self.capacity = capacity
    }

    public var used: UInt64 { tail &- head }

    /// Cell of ring position `position` (free-running counter) in a `width`-cell gauge.
    public func cell(of position: UInt64, width: Int) -> Int {
        guard capacity > 0, width > 0 else { return 0 }
        let index = position % capacity
        return Int(index * UInt64(width) / capacity)
    }

    /// Whether each cell holds at least one occupied position.
    public func occupied(width: Int) -> [Bool] {
        guard width > 0, capacity > 0 else { return [] }
        if used >= capacity { return Array(repeating: true, count: width) }  // full (or corrupt)
        if used == 0 { return Array(repeating: false, count: width) }
        var cells = Array(repeating: false, count: width)
        let first = cell(of: head, width: width)
        let last = cell(of: tail &- 1, width: width)
        var column = first
        while true {
            cells[column] = true
            if column == last { break }
            column = (column + 1) % width
        }
        return cells
    }

    /// Draws the marks row at (x, y) and the bar at (x, y + 1); the filled part takes
    /// `fill`, the queue's state colour (`QueuePanel.stateRole`: red when blocked or stalled).
    public func draw(x: Int, y: Int, width: Int, glyphs: Glyphs, color: Bool, fill: ColorRole = .gaugeUsed,
                     into grid: inout ScreenGrid) {
        guard width > 0 else { return }
        let cells = occupied(width: width)
        for (offset, filled) in cells.enumerated() {
            let cell: Cell = filled ? Cell(glyphs.gaugeFull, TextStyle(fill))
                : Cell(color ? glyphs.gaugeEmpty : Unicode.Scalar(" "), TextStyle(.gaugeFree))
            grid[x + offset, y + 1] = cell
        }
        let headColumn = cell(of: head, width: width)
        var tailColumn = cell(of: tail, width: width)
        // Empty and full queues put both marks in one cell; show T beside H instead of hiding it.
        if tailColumn == headColumn { tailColumn = headColumn + 1 < width ? headColumn + 1 : headColumn - 1 }
        if tailColumn >= 0 { grid[x + tailColumn, y] = Cell("T", TextStyle(.tailMark, .bold)) }
        grid[x + headColumn, y] = Cell("H", TextStyle(.headMark, .bold))
    }
}
