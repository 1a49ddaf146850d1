/// Where the overview's parts are for a terminal size: a title row, the column header, the
/// table, and the key bar (or the filter being typed) at the bottom. Columns that do not fit
/// are dropped, least important first (`OverviewColumn.dropPriority`); the name column takes
/// the width that is left. The state's mouse handling and the renderer both read it, so a
/// click lands on what was drawn there.
public struct OverviewLayout: Equatable, Sendable {
    public struct Placed: Equatable, Sendable {
        public var column: OverviewColumn
        public var x: Int
        public var width: Int
    }

    public static let minimumWidth = 30
    public static let minimumHeight = 5

    public let width: Int
    public let height: Int
    public let columns: [Placed]
    /// The row of column titles.
    public let headerRow = 1
    public var firstTableRow: Int { headerRow + 1 }
    /// Table rows that fit between the header and the key bar.
    public var tableLines: Int { max(0, height - firstTableRow - 1) }
    public var footerRow: Int { height - 1 }

    /// nil when the terminal is smaller than `minimumWidth` x `minimumHeight`.
    public init?(width: Int, height: Int) {
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else { return nil }
        self.width = width
        self.height = height
        var kept = OverviewColumn.allCases
        func others() -> Int { kept.filter { $0 != .name }.reduce(0) { $0 + $1.width + 1 } }
        while width - others() < OverviewColumn.name.width,
              let drop = kept.max(by: { $0.dropPriority < $1.dropPriority }), drop.dropPriority > 0 {
            kept.removeAll { $0 == drop }
        }
        var x = 0
        var placed: [Placed] = []
        for column in kept {
            let cellWidth = column == .name ? max(1, width - others() - 1) : column.width
            placed.append(Placed(column: column, x: x, width: cellWidth))
            x += cellWidth + 1
        }
        columns = placed
    }

    /// The column whose header or cells cover screen column `x`.
    public func column(atX x: Int) -> OverviewColumn? {
        columns.first { x >= $0.x && x <= $0.x + $0.width }?.column
    }

    /// The table line (0 = first visible ring) at screen row `y`.
    public func tableLine(atY y: Int) -> Int? {
        let line = y - firstTableRow
        return line >= 0 && line < tableLines ? line : nil
    }
}
