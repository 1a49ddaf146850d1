import EveringInspect

/// Diagnosis findings, active ones first and newest first, coloured by severity;
/// resolved ones stay dimmed for a while. Empty says "healthy".
public enum AlertsPanel {
    public static func role(_ severity: Finding.Severity) -> ColorRole {
        switch severity {
        case .info: .info
        case .warning: .warning
        case .critical: .critical
        }
    }

    static func tag(_ severity: Finding.Severity) -> String {
        switch severity {
        case .info: "INFO"
        case .warning: "WARN"
        case .critical: "CRIT"
        }
    }

    public static func draw(_ input: DashboardInput, state: DashboardState, now: UInt64, in rect: Rect,
                            into grid: inout ScreenGrid) {
        let active = input.alerts.filter(\.isActive).count
        let inner = PanelFrame.draw(rect, title: DashboardPanel.alerts.title, focused: state.focus == .alerts,
                                    glyphs: state.glyphs, into: &grid,
                                    rightTitle: active > 0 ? "\(active) active" : nil)
        guard inner.height >= 1, inner.width >= 10 else { return }
        let x = inner.x + 1
        let width = inner.width - 2
        if input.alerts.filter(\.isActive).isEmpty {
            let text = input.snapshot == nil ? "no data yet" : "healthy: no findings"
            grid.put(state.color ? text : "OK " + text, x: x, y: inner.y, style: TextStyle(.good, .bold))
        }
        let rows = input.alerts
        let start = rows.contains(where: \.isActive) ? inner.y : inner.y + 1
        let visible = inner.maxY - start
        guard visible > 0 else { return }
        let offset = DashboardState.clampedScroll(state.scrollOffset(.alerts), rows: rows.count, visible: visible)
        for (line, entry) in rows.dropFirst(offset).prefix(visible).enumerated() {
            let y = start + line
            let finding = entry.finding
            let since = now > entry.firstSeen ? Formatting.duration(nanoseconds: now - entry.firstSeen) : "0s"
            if entry.isActive {
                var cx = grid.put(tag(finding.severity), x: x, y: y,
                                  style: TextStyle(role(finding.severity), finding.severity == .critical ? [.bold, .reverse] : .bold))
                cx = grid.put(" \(finding.rule.rawValue) ", x: cx, y: y, style: TextStyle(role(finding.severity), .bold))
                let suffix = " (\(since))"
                cx = grid.put(finding.message, x: cx, y: y, maxWidth: x + width - cx - suffix.count)
                grid.put(suffix, x: cx, y: y, style: TextStyle(.muted))
            } else {
                grid.put("ok   \(finding.rule.rawValue) resolved: \(finding.message)", x: x, y: y,
                         style: TextStyle(.muted, .dim), maxWidth: width)
            }
        }
        if rows.count > visible {
            grid.putRight("\(offset + 1)-\(min(rows.count, offset + visible))/\(rows.count)", endX: inner.maxX,
                          y: inner.maxY, style: TextStyle(.muted))
        }
    }
}
