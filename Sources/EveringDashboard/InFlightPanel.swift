import EveringInspect

/// The ops in flight (submitted, waiting, cancelled, done in CQ) as a table, oldest first by default,
/// sortable with `s` and scrollable when focused.
public enum InFlightPanel {
    /// Whether a busy slot belongs in the table (in flight, or corrupt so it is seen).
    static func isListed(_ record: SlotTable.Record) -> Bool { record.state.isInFlight || record.state == .unknown }

    /// How many rows the table has, without sorting them.
    public static func rowCount(_ table: SlotTable) -> Int { table.busy.reduce(0) { $0 + (isListed($1) ? 1 : 0) } }

    /// Whether `a` comes before `b` in the table's order (ties by slot, so the order is total).
    static func precedes(_ a: SlotTable.Record, _ b: SlotTable.Record, sort: InFlightSort) -> Bool {
        switch sort {
        case .age: (a.ageNanoseconds, b.index) > (b.ageNanoseconds, a.index)
        case .slot: a.index < b.index
        case .state: (a.state.rawValue, a.index) < (b.state.rawValue, b.index)
        case .opcode: (a.opcode, a.index) < (b.opcode, b.index)
        }
    }

    /// All rows in order.
    public static func rows(_ table: SlotTable, sort: InFlightSort) -> [SlotTable.Record] {
        table.busy.filter(isListed).sorted { precedes($0, $1, sort: sort) }
    }

    /// The first `limit` rows in order: what one screen shows. A ring with thousands of ops
    /// stuck in flight would otherwise be sorted in full on every frame; a bounded
    /// insertion buffer costs one comparison per row for all but the few that make it in.
    public static func firstRows(_ table: SlotTable, sort: InFlightSort, limit: Int) -> [SlotTable.Record] {
        guard limit > 0 else { return [] }
        if limit * 8 >= table.busy.count { return Array(rows(table, sort: sort).prefix(limit)) }
        var best: [SlotTable.Record] = []
        best.reserveCapacity(limit + 1)
        for record in table.busy where isListed(record) {
            if best.count == limit, !precedes(record, best[limit - 1], sort: sort) { continue }
            let position = best.firstIndex { precedes(record, $0, sort: sort) } ?? best.count
            best.insert(record, at: position)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    /// The state column: the ABI state, or "done in CQ" for an op whose completion waits in
    /// the completion queue (derived by the inspector, see `ObservedSlotState.completedInCQ`).
    static func stateLabel(_ state: ObservedSlotState) -> String {
        state == .completedInCQ ? "done in CQ" : state.rawValue
    }

    public static func draw(_ input: DashboardInput, state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        let total = input.snapshot?.slots.map(rowCount) ?? 0
        let arrow = state.ascii ? "" : " ↓"
        let inner = PanelFrame.draw(rect, title: DashboardPanel.inFlight.title, focused: state.focus == .inFlight,
                                    glyphs: state.glyphs, into: &grid, rightTitle: "\(total) by \(state.sort)\(arrow)")
        guard inner.height >= 2, inner.width >= 20 else { return }
        guard input.snapshot?.slots != nil else {
            grid.put("this ring has no slot table", x: inner.x + 1, y: inner.y, style: TextStyle(.muted))
            return
        }
        let x = inner.x + 1
        // Wider panels (120 columns and up) also show the payload length and user data.
        let wide = inner.width >= 58
        let columns = [("slot", 7), ("gen", 7), ("opc", 6), ("state", 11), ("age", 9)]
            + (wide ? [("len", 7), ("user data", 18)] : [])
        var cx = x
        for (title, width) in columns {
            let sorted = title == state.sort.description || (title == "opc" && state.sort == .opcode)
            cx = grid.put(title, x: cx, y: inner.y, style: TextStyle(.label, sorted ? [.bold, .underline] : .bold),
                          maxWidth: inner.maxX - cx) + (width - title.count)
        }
        let visible = inner.height - 1
        guard total > 0, let table = input.snapshot?.slots else {
            grid.put("no ops in flight", x: x, y: inner.y + 1, style: TextStyle(.muted))
            return
        }
        let offset = DashboardState.clampedScroll(state.scrollOffset(.inFlight), rows: total, visible: visible)
        let shown = firstRows(table, sort: state.sort, limit: offset + visible).dropFirst(offset)
        for (line, record) in shown.enumerated() {
            let y = inner.y + 1 + line
            let stateRole = SlotMapPanel.role(record.state)
            cx = grid.put(Formatting.fit("\(record.index)", 7), x: x, y: y)
            cx = grid.put(Formatting.fit("\(record.generation)", 7), x: cx, y: y, style: TextStyle(.muted))
            cx = grid.put(Formatting.fit("\(record.opcode)", 6), x: cx, y: y)
            cx = grid.put(Formatting.fit(stateLabel(record.state), 11), x: cx, y: y, style: TextStyle(stateRole))
            cx = grid.put(Formatting.fit(Formatting.age(nanoseconds: record.ageNanoseconds), 9), x: cx, y: y,
                          style: .bold, maxWidth: inner.maxX - cx)
            if wide {
                cx = grid.put(Formatting.fit("\(record.length)", 7), x: cx, y: y)
                grid.put("0x" + String(record.userData, radix: 16), x: cx, y: y, style: TextStyle(.muted),
                         maxWidth: inner.maxX - cx)
            }
        }
        if total > visible {
            let position = "\(offset + 1)-\(min(total, offset + visible))/\(total)"
            grid.putRight(position, endX: inner.maxX, y: inner.maxY, style: TextStyle(.muted))
        }
    }
}
