import EveringInspect

/// The driver slot table as a map of cells coloured by state, with a legend and counts.
/// When there are more slots than cells each cell stands for a run of consecutive slots
/// and shows the most alarming state among them (cancelled > waiting > submitted >
/// completed > free), so one stuck op in 600 free slots is still visible.
public enum SlotMapPanel {
    /// States in legend order.
    static let legendStates: [ObservedSlotState] = [.free, .submitted, .waiting, .completed, .cancelled]

    /// How alarming a state is, for aggregation.
    static func severity(_ state: ObservedSlotState) -> Int {
        switch state {
        case .free: 0
        case .completed: 1
        case .completedInCQ: 2
        case .submitted: 2
        case .waiting: 3
        case .cancelled: 4
        case .unknown: 5
        }
    }

    /// Slots per cell so that `slotCount` slots fit in `cells` cells.
    public static func slotsPerCell(slotCount: Int, cells: Int) -> Int {
        guard cells > 0 else { return max(1, slotCount) }
        return max(1, (slotCount + cells - 1) / cells)
    }

    /// The state shown by each cell (free where no busy record falls).
    public static func cellStates(_ table: SlotTable, cells: Int) -> [ObservedSlotState] {
        let count = Int(table.slotCount)
        let perCell = slotsPerCell(slotCount: count, cells: cells)
        let used = min(cells, (count + perCell - 1) / perCell)
        var states = Array(repeating: ObservedSlotState.free, count: used)
        for record in table.busy {
            let cell = Int(record.index) / perCell
            guard cell < used else { continue }
            if severity(record.state) > severity(states[cell]) { states[cell] = record.state }
        }
        return states
    }

    public static func role(_ state: ObservedSlotState) -> ColorRole {
        switch state {
        case .free: .slotFree
        case .submitted: .slotSubmitted
        case .waiting: .slotWaiting
        case .completed: .slotCompleted
        case .completedInCQ: .slotCompletedInCQ
        case .cancelled: .slotCancelled
        case .unknown: .slotCorrupt
        }
    }

    /// The character for a state: colour carries the state when there is colour; without
    /// it, letters do.
    public static func glyph(_ state: ObservedSlotState, state view: DashboardState) -> Unicode.Scalar {
        if !view.color {
            switch state {
            case .free: return "."
            case .submitted: return "s"
            case .waiting: return "w"
            case .completed: return "c"
            case .completedInCQ: return "q"
            case .cancelled: return "X"
            case .unknown: return "!"
            }
        }
        if state == .free { return view.ascii ? "." : "·" }
        if state == .unknown { return "!" }
        return view.glyphs.slotCell
    }

    static func shortName(_ state: ObservedSlotState) -> String {
        switch state {
        case .free: "free"
        case .submitted: "sub"
        case .waiting: "wait"
        case .completed: "done"
        case .completedInCQ: "in CQ"
        case .cancelled: "canc"
        case .unknown: "bad"
        }
    }

    public static func draw(_ input: DashboardInput, state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        let inner = PanelFrame.draw(rect, title: DashboardPanel.slots.title, focused: state.focus == .slots,
                                    glyphs: state.glyphs, into: &grid)
        guard inner.height >= 1, inner.width >= 10 else { return }
        guard let table = input.snapshot?.slots else {
            grid.put("this ring has no slot table", x: inner.x + 1, y: inner.y, style: TextStyle(.muted))
            return
        }
        let x = inner.x + 1
        let width = inner.width - 2
        let legendRows = inner.height >= 4 ? 2 : 1
        let mapRows = max(0, inner.height - legendRows)
        let cells = mapRows * width
        let perCell = slotsPerCell(slotCount: Int(table.slotCount), cells: cells)
        let states = cellStates(table, cells: cells)
        for (index, cellState) in states.enumerated() {
            grid[x + index % width, inner.y + index / width] = Cell(glyph(cellState, state: state),
                                                                     TextStyle(role(cellState)))
        }
        // Legend: "■ free 1020  ■ sub 3  ■ wait 1" / "■ done 0  ■ canc 0  1 cell=64 slots"
        var y = inner.y + mapRows
        var cx = x
        var items = legendStates
        // Derived and alarming states join the legend when present, beside their neighbours:
        // "in CQ" (completions the requester has not reaped) before "done".
        if table.counts.completedInCQ > 0 { items.insert(.completedInCQ, at: 3) }
        if table.counts.unknown > 0 { items.append(.unknown) }
        for (offset, item) in items.enumerated() {
            let label = "\(shortName(item)) \(table.counts[item])"
            if cx + 2 + label.count > x + width || (legendRows == 2 && offset == 3 && y == inner.y + mapRows) {
                guard y + 1 < inner.maxY else { break }
                y += 1
                cx = x
            }
            grid[cx, y] = Cell(glyph(item, state: state), TextStyle(role(item)))
            cx = grid.put(" \(label)  ", x: cx + 1, y: y, style: item == .unknown ? TextStyle(.critical, .bold) : .plain)
        }
        if perCell > 1 {
            let note = "cell=\(perCell) slots"
            if cx + note.count <= x + width { grid.put(note, x: cx, y: y, style: TextStyle(.muted)) }
        }
    }
}
