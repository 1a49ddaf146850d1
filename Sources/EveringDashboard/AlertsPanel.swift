import EveringInspect

/// The incidents: each root cause with its symptoms indented under it, coloured by
/// severity; alerts that ended stay dimmed for a while, saying whether they were resolved
/// or superseded. No incident says "healthy".
public enum AlertsPanel {
    public static func role(_ severity: Finding.Severity) -> ColorRole {
        switch severity {
        case .info: .info
        case .warning: .warning
        case .critical: .critical
        }
    }

    static func tag(_ severity: Finding.Severity) -> String { ReportText.severityTag(severity) }

    public static func draw(_ input: DashboardInput, state: DashboardState, now: UInt64, in rect: Rect,
                            into grid: inout ScreenGrid) {
        let incidents = Set(input.alerts.filter(\.isActive).map(\.incidentID)).count
        let inner = PanelFrame.draw(rect, title: DashboardPanel.alerts.title, focused: state.focus == .alerts,
                                    glyphs: state.glyphs, into: &grid,
                                    rightTitle: incidents > 0 ? "\(incidents) incident\(incidents == 1 ? "" : "s")" : nil)
        guard inner.height >= 1, inner.width >= 10 else { return }
        let x = inner.x + 1
        let width = inner.width - 2
        if input.alerts.filter(\.isActive).isEmpty {
            let text = input.snapshot == nil ? "no data yet" : "healthy: no findings"
            grid.put(state.color ? text : "OK " + text, x: x, y: inner.y, style: TextStyle(.good, .bold))
        }
        let rows = input.alerts
        let area = entryArea(input, in: rect)
        let start = inner.maxY - area.rows
        let visible = area.rows
        guard visible > 0 else { return }
        // End (or scrolling far down) shows the last page, not the last entry alone.
        let offset = min(DashboardState.clampedScroll(state.scrollOffset(.alerts), rows: rows.count, visible: 1),
                         lastPageStart(rows, now: now, width: width, rows: visible, ascii: state.ascii))
        var y = start
        var shown = 0
        for entry in rows.dropFirst(offset) where y < inner.maxY {
            y = drawEntry(entry, now: now, x: x, y: y, width: width, lastRow: inner.maxY - 1, ascii: state.ascii, into: &grid)
            shown += 1
        }
        if offset > 0 || offset + shown < rows.count {
            grid.putRight("\(offset + 1)-\(offset + shown)/\(rows.count)", endX: inner.maxX, y: inner.maxY,
                          style: TextStyle(.muted))
        }
    }

    /// The rows the alerts panel in `rect` has for entries, and their width.
    static func entryArea(_ input: DashboardInput, in rect: Rect) -> (width: Int, rows: Int) {
        let inner = rect.inset
        let healthyLine = input.alerts.contains(where: \.isActive) ? 0 : 1
        return (inner.width - 2, max(0, inner.height - healthyLine))
    }

    /// The first entry of the last page: the smallest offset from which all remaining
    /// entries fit in `rows` rows (the last entry at least, even when it alone overflows).
    /// Entries are measured by drawing them, so this cannot disagree with `drawEntry`.
    static func lastPageStart(_ entries: [AlertLog.Entry], now: UInt64, width: Int, rows: Int, ascii: Bool = false) -> Int {
        guard width > 0 else { return max(0, entries.count - 1) }
        var used = 0
        var start = entries.count
        while start > 0 {
            var scratch = ScreenGrid(width: width + 1, height: 1)
            let height = drawEntry(entries[start - 1], now: now, x: 0, y: 0, width: width, lastRow: Int.max / 2,
                                   ascii: ascii, into: &scratch)
            if used + height > rows && start < entries.count { break }
            used += height
            start -= 1
        }
        return min(start, max(0, entries.count - 1))
    }

    /// One alert: "CRIT rule message (age)" for a root cause, "  ↳ WARN rule message" for a
    /// symptom, "ok rule resolved: ..." or "-- rule superseded by ...: ..." once ended; the
    /// message wrapped onto indented continuation lines (at most up to `lastRow`).
    /// Returns the next free row.
    static func drawEntry(_ entry: AlertLog.Entry, now: UInt64, x: Int, y: Int, width: Int, lastRow: Int,
                          ascii: Bool = false, into grid: inout ScreenGrid) -> Int {
        let finding = entry.finding
        let since = Formatting.age(from: entry.firstSeen, to: now)
        let role = role(finding.severity)
        var cx = x
        let text: String
        let textStyle: TextStyle
        var indent = x + 5
        switch entry.lifecycle {
        case .active:
            if !entry.isRootCause {
                cx = grid.put(ascii ? "  > " : "  ↳ ", x: x, y: y, style: TextStyle(.muted))
                indent = cx + 5
            }
            cx = grid.put(tag(finding.severity), x: cx, y: y,
                          style: TextStyle(role, finding.severity == .critical && entry.isRootCause ? [.bold, .reverse] : .bold))
            cx = grid.put(" \(finding.rule.rawValue) ", x: cx, y: y, style: TextStyle(role, .bold))
            text = "\(finding.message) (\(since))"
            textStyle = .plain
        case .resolved:
            cx = grid.put("ok   \(finding.rule.rawValue) resolved: ", x: x, y: y, style: TextStyle(.muted, .dim))
            text = finding.message
            textStyle = TextStyle(.muted, .dim)
        case .superseded:
            cx = grid.put("--   \(finding.rule.rawValue) superseded by \(entry.supersededBy ?? "a later cause"): ", x: x, y: y,
                          style: TextStyle(.muted, .dim))
            text = finding.message
            textStyle = TextStyle(.muted, .dim)
        }
        var row = y
        var lineStart = cx
        for line in wrap(text, first: x + width - cx, rest: x + width - indent) {
            guard row <= lastRow else { break }
            grid.put(line, x: lineStart, y: row, style: textStyle)
            row += 1
            lineStart = indent
        }
        return row
    }

    /// Word-wraps `text`: the first line `first` columns wide, the others `rest`.
    static func wrap(_ text: String, first: Int, rest: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        var limit = max(1, first)
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if candidate.count <= limit || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = String(word)
                limit = max(1, rest)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
