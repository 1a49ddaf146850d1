import EveringInspect

/// The ops in flight (submitted, waiting, cancelled) as a table, oldest first by default,
/// sortable with `s` and scrollable when focused.
public enum InFlightPanel {
    /// Whether a busy slot is listed: in flight, or in a state the table cannot name.
    static func isListed(_ record: SlotTable.Record) -> Bool { record.state.isInFlight || record.state == .unknown }

    /// How many rows `rows` returns, without sorting them (the scroll limit needs only this).
    public static func rowCount(_ table: SlotTable) -> Int { table.busy.count(where: isListed) }

    public static func rows(_ table: SlotTable, sort: InFlightSort) -> [SlotTable.Record] {
        let inFlight = table.busy.filter(isListed)
        switch sort {
        case .age:
            return inFlight.sorted { ($0.ageNanoseconds, $1.index) > ($1.ageNanoseconds, $0.index) }
        case .slot:
            return inFlight.sorted { $0.index < $1.index }
        case .state:
            return inFlight.sorted { ($0.state.rawValue, $0.index) < ($1.state.rawValue, $1.index) }
        case .opcode:
            return inFlight.sorted { ($0.opcode, $0.index) < ($1.opcode, $1.index) }
        }
    }

    public static func draw(_ input: DashboardInput, state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        let all = input.snapshot?.slots.map { rows($0, sort: state.sort) } ?? []
        let arrow = state.ascii ? "" : " ↓"
        let inner = PanelFrame.draw(rect, title: DashboardPanel.inFlight.title, focused: state.focus == .inFlight,
                                    glyphs: state.glyphs, into: &grid, rightTitle: "\(all.count) by \(state.sort)\(arrow)")
        guard inner.height >= 2, inner.width >= 20 else { return }
        guard input.snapshot?.slots != nil else {
            grid.put("this ring has no slot table", x: inner.x + 1, y: inner.y, style: TextStyle(.muted))
            return
        }
        let x = inner.x + 1
        // Wider panels (120 columns and up) also show the payload length and user data.
        let wide = inner.width >= 58
        let columns = [("slot", 7), ("gen", 7), ("opc", 6), ("state", 10), ("age", 9)]
            + (wide ? [("len", 7), ("user data", 18)] : [])
        var cx = x
        for (title, width) in columns {
            let sorted = title == state.sort.description || (title == "opc" && state.sort == .opcode)
            cx = grid.put(title, x: cx, y: inner.y, style: TextStyle(.label, sorted ? [.bold, .underline] : .bold),
                          maxWidth: inner.maxX - cx) + (width - title.count)
        }
        let visible = inner.height - 1
        guard !all.isEmpty else {
            grid.put("no ops in flight", x: x, y: inner.y + 1, style: TextStyle(.muted))
            return
        }
        let offset = DashboardState.clampedScroll(state.scrollOffset(.inFlight), rows: all.count, visible: visible)
        for (line, record) in all.dropFirst(offset).prefix(visible).enumerated() {
            let y = inner.y + 1 + line
            let stateRole = SlotMapPanel.role(record.state)
            cx = grid.put(Formatting.fit("\(record.index)", 7), x: x, y: y)
            cx = grid.put(Formatting.fit("\(record.generation)", 7), x: cx, y: y, style: TextStyle(.muted))
            cx = grid.put(Formatting.fit("\(record.opcode)", 6), x: cx, y: y)
            cx = grid.put(Formatting.fit(record.state.rawValue, 10), x: cx, y: y, style: TextStyle(stateRole))
            cx = grid.put(Formatting.fit(Formatting.duration(nanoseconds: record.ageNanoseconds), 9), x: cx, y: y,
                          style: .bold, maxWidth: inner.maxX - cx)
            if wide {
                cx = grid.put(Formatting.fit("\(record.length)", 7), x: cx, y: y)
                grid.put("0x" + String(record.userData, radix: 16), x: cx, y: y, style: TextStyle(.muted),
                         maxWidth: inner.maxX - cx)
            }
        }
        if all.count > visible {
            let position = "\(offset + 1)-\(min(all.count, offset + visible))/\(all.count)"
            grid.putRight(position, endX: inner.maxX, y: inner.maxY, style: TextStyle(.muted))
        }
    }
}
