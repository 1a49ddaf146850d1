import EveringInspect

/// The overview's pure render step: (rings, view state, size) -> screen, like
/// `DashboardRenderer` for one ring. A title row (ring count, filter, sort, PAUSED, refresh),
/// the column header with the sorted column marked, one row per ring (STUCK and DEAD rings
/// highlighted, the cursor in reverse video), and the key bar or the filter being typed.
///
///     let grid = OverviewRenderer.render(input, state: state, width: 120, height: 40)
///     grid.rowContaining("/orders")
public enum OverviewRenderer {
    public static let emptyMessage = "no evering rings in /dev/shm"

    static let keys: [(String, String)] = [
        ("q", "quit"), ("Enter", "open"), ("/", "filter"), ("</>", "sort"), ("F6", "sort by"), ("I", "invert"),
        ("spc", "pause"), ("+/-", "delay"), ("h", "help"),
    ]

    public static func render(_ input: OverviewInput, state: OverviewState, width: Int, height: Int) -> ScreenGrid {
        guard let layout = OverviewLayout(width: width, height: height) else {
            return tooSmall(width: max(0, width), height: max(0, height))
        }
        var grid = ScreenGrid(width: width, height: height)
        let rows = state.visibleRows(input.rows)
        drawTitle(input, shown: rows.count, state: state, width: width, into: &grid)
        drawColumnHeader(layout, state: state, into: &grid)
        let body = Rect(x: 0, y: layout.firstTableRow, width: width, height: layout.tableLines)
        if rows.isEmpty {
            let lines: [String]
            if !input.sampled {
                lines = ["reading /dev/shm..."]
            } else if input.rows.isEmpty {
                lines = [emptyMessage, "watching: new rings appear here as they are created"]
            } else {
                lines = ["no ring matches \"\(state.filter)\"", "\(input.rows.count) hidden by the filter; / edits it, / Esc removes it"]
            }
            Overlays.message(lines, style: TextStyle(.warning, .bold), glyphs: state.glyphs, in: body, into: &grid)
        } else {
            let start = max(0, min(state.scroll, rows.count - 1))
            for (line, row) in rows[start...].prefix(layout.tableLines).enumerated() {
                drawRow(row, layout: layout, y: layout.firstTableRow + line, selected: row.name == state.selected,
                        into: &grid)
            }
        }
        drawFooter(state, layout: layout, into: &grid)
        if case let .choosingSort(highlighted) = state.mode {
            drawSortMenu(highlighted: highlighted, current: state.sortColumn, state: state, layout: layout, into: &grid)
        }
        if state.showHelp { OverviewHelp.draw(state: state, into: &grid) }
        return grid
    }

    /// "evering-top  12 rings  2 STUCK  1 DEAD  filter: ord  sort: STATUS v" ... "PAUSED refresh 1s".
    static func drawTitle(_ input: OverviewInput, shown: Int, state: OverviewState, width: Int, into grid: inout ScreenGrid) {
        let refresh = "refresh \(Formatting.duration(seconds: state.interval))"
        var rightStart = width - refresh.count
        grid.put(refresh, x: rightStart, y: 0, style: TextStyle(.muted))
        if state.paused {
            rightStart -= 9
            grid.put(" PAUSED ", x: rightStart, y: 0, style: TextStyle(.warning, [.bold, .reverse]))
        }
        let limit = rightStart - 1
        var x = grid.put("evering-top", x: 0, y: 0, style: TextStyle(.title, .bold), maxWidth: limit)
        let count = input.rows.count
        var segments: [(String, TextStyle)] = [
            ("  \(count) ring\(count == 1 ? "" : "s")" + (shown == count ? "" : " (\(shown) shown)"), .bold),
        ]
        for status in [RingStatus.dead, .stuck] {
            let n = input.rows.count { $0.status == status }
            if n > 0 { segments.append(("  \(n) \(status.rawValue)", TextStyle(.critical, .bold))) }
        }
        if !state.filter.isEmpty { segments.append(("  filter: \(state.filter)", TextStyle(.info, .bold))) }
        segments.append(("  sort: \(state.sortColumn.title) \(arrow(state))", TextStyle(.muted)))
        if input.denied > 0 { segments.append(("  \(input.denied) no access", TextStyle(.warning))) }
        if input.notReady > 0 { segments.append(("  \(input.notReady) not ready", TextStyle(.muted))) }
        if input.unreadable > 0 { segments.append(("  \(input.unreadable) unreadable", TextStyle(.warning))) }
        // Whole segments only: a cut-off count would mislead.
        for (text, style) in segments where x + text.count <= limit {
            x = grid.put(text, x: x, y: 0, style: style)
        }
    }

    /// Which way the sorted column runs: down = biggest / worst / A first.
    static func arrow(_ state: OverviewState) -> String {
        let descendingOnScreen = state.sortColumn.sortsAscending == state.inverted
        return descendingOnScreen ? String(state.glyphs.headMark) : String(state.glyphs.tailMark)
    }

    static func drawColumnHeader(_ layout: OverviewLayout, state: OverviewState, into grid: inout ScreenGrid) {
        let y = layout.headerRow
        grid.fill(Rect(x: 0, y: y, width: layout.width, height: 1), with: Cell(" ", TextStyle(.label, .reverse)))
        for placed in layout.columns {
            let sorted = placed.column == state.sortColumn
            let title = sorted ? placed.column.title + arrow(state) : placed.column.title
            let text = Formatting.fit(title, placed.width, ellipsis: state.glyphs.ellipsis, alignRight: placed.column.alignRight)
            grid.put(text, x: placed.x, y: y,
                     style: sorted ? TextStyle(.title, [.bold, .reverse]) : TextStyle(.label, [.bold, .reverse]))
        }
    }

    static func drawRow(_ row: OverviewRow, layout: OverviewLayout, y: Int, selected: Bool, into grid: inout ScreenGrid) {
        for placed in layout.columns {
            let text = Formatting.fit(placed.column.text(row), placed.width, alignRight: placed.column.alignRight)
            grid.put(text, x: placed.x, y: y, style: cellStyle(placed.column, row))
        }
        if selected {
            // The cursor: the whole row in reverse video, red for an alarming ring, so the
            // selection is visible without colour and the alarm is not hidden by it.
            grid.restyle(Rect(x: 0, y: y, width: layout.width, height: 1),
                         style: TextStyle(row.isAlarming ? .critical : .selection, row.isAlarming ? [.bold, .reverse] : [.bold]))
        } else if row.isAlarming {
            for placed in layout.columns where placed.column != .status {
                grid.restyle(Rect(x: placed.x, y: y, width: placed.width, height: 1), style: TextStyle(.critical, .bold))
            }
        }
    }

    static func cellStyle(_ column: OverviewColumn, _ row: OverviewRow) -> TextStyle {
        switch column {
        case .status: HeaderPanel.statusStyle(row.status)
        case .requester: sideStyle(row.requester)
        case .responder: sideStyle(row.responder)
        case .submission: fillStyle(row.submissionFill)
        case .completion: fillStyle(row.completionFill)
        case .findings: row.findings > 0 ? TextStyle(.warning, .bold) : TextStyle(.muted)
        case .name: .bold
        case .owner, .oldest: TextStyle(.muted)
        case .rate: .plain
        }
    }

    static func sideStyle(_ side: OverviewRow.Side?) -> TextStyle {
        guard let side else { return TextStyle(.muted) }
        let role = OverviewColumn.sideWord(side).role
        return TextStyle(role, role == .critical ? .bold : [])
    }

    static func fillStyle(_ fill: Double) -> TextStyle {
        fill >= 0.9 ? TextStyle(.critical, .bold) : fill >= 0.5 ? TextStyle(.warning) : .plain
    }

    /// The key bar, or while typing a filter the filter line with a cursor.
    static func drawFooter(_ state: OverviewState, layout: OverviewLayout, into grid: inout ScreenGrid) {
        let y = layout.footerRow
        grid.fill(Rect(x: 0, y: y, width: layout.width, height: 1), with: Cell(" ", TextStyle(.selection)))
        if case .filtering = state.mode {
            var x = grid.put("Filter: ", x: 0, y: y, style: TextStyle(.normal, .bold))
            x = grid.put(state.filter, x: x, y: y, style: TextStyle(.selection))
            grid.put("_", x: x, y: y, style: TextStyle(.normal, .bold))
            grid.putRight("Enter keep  Esc remove", endX: layout.width, y: y, style: TextStyle(.selection))
            return
        }
        var x = 0
        for (key, action) in keys {
            guard x + key.count + action.count + 2 <= layout.width else { break }
            x = grid.put(key, x: x, y: y, style: TextStyle(.normal, .bold))
            x = grid.put(" \(action) ", x: x, y: y, style: TextStyle(.selection))
        }
    }

    /// F6: the columns in a box at the left, the highlighted one in reverse video.
    static func drawSortMenu(highlighted: OverviewColumn, current: OverviewColumn, state: OverviewState,
                             layout: OverviewLayout, into grid: inout ScreenGrid) {
        let all = OverviewColumn.allCases
        let box = Rect(x: 0, y: layout.firstTableRow, width: 16, height: min(all.count + 2, layout.tableLines + 1))
        grid.fill(box)
        let inner = PanelFrame.draw(box, title: "Sort by", focused: true, glyphs: state.glyphs, into: &grid)
        for (index, column) in all.enumerated() where inner.y + index < inner.maxY {
            let mark = column == current ? "*" : " "
            let style = column == highlighted ? TextStyle(.selection, [.bold, .reverse]) : TextStyle.plain
            grid.put(Formatting.fit("\(mark)\(column.title)", inner.width), x: inner.x, y: inner.y + index, style: style)
        }
    }

    static func tooSmall(width: Int, height: Int) -> ScreenGrid {
        var grid = ScreenGrid(width: width, height: height)
        let lines = ["terminal too small", "need \(OverviewLayout.minimumWidth)x\(OverviewLayout.minimumHeight)", "q quits"]
        for (offset, line) in lines.enumerated() {
            grid.put(line, x: 0, y: offset, style: offset == 0 ? TextStyle(.warning, .bold) : .plain)
        }
        return grid
    }
}
