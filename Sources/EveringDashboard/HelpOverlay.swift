import EveringInspect

/// The help overlay (`h`, `?`): the keys, then every figure on screen and what it means,
/// the slot legend and the current settings. Sized to fit whole at 80x24; any key closes it.
public enum HelpOverlay {
    /// Keys, drawn two to a row.
    static let keys: [(String, String)] = [
        ("q", "quit (also Ctrl-C)"),
        ("space, p", "pause / resume sampling"),
        ("+ / -", "refresh faster / slower"),
        ("s", "cycle the in-flight sort"),
        ("Tab, S-Tab", "focus next / previous"),
        ("arrows", "scroll the focused panel"),
        ("PgUp PgDn", "page; Home/End: top, end"),
        ("r", "reset peaks"),
        ("h, ?", "help; any key closes it"),
    ]

    /// The figures every source shows, one line each at 80 columns.
    static let commonFigures: [(String, String)] = [
        ("ops/s", "completions per second over the last refresh interval"),
        ("used", "entries queued / capacity, % full; free = capacity - used"),
        ("peak", "most entries queued at once since the start (or r)"),
        ("H  T", "gauge: H = consumer's head (next to take), T = producer's tail"),
        ("head tail", "taken / added since the ring was made; enq deq: per second"),
        ("fill rate", "history, newest right; the number after it = a full bar"),
        ("alerts", "incident root cause, ↳ symptoms, (time since first seen)"),
        ("ok  --", "ended: ok = resolved, -- = superseded by a later cause"),
        ("ages", "<1us: newer than one read can tell apart; - : unknown"),
    ]

    /// Figures only an evering ring has (sides, counters, driver slots).
    static let everingFigures: [(String, String)] = [
        ("header", "status word; per side: pid, state, hb = time since heartbeat"),
        ("full empty", "times the producer found it full / the consumer empty"),
        ("wait", "asleep / waiting / running per side; late = missed wake-ups"),
        ("slot#gen", "driver slot and its generation (reuse count); opc, len, age"),
        ("cell=N", "one map cell per N slots, showing the most alarming state"),
    ]

    /// Figures only a kernel io_uring has (the header's second row is `DashboardInput.sourceFacts`).
    static let ioUringFigures: [(String, String)] = [
        ("header", "owner pid (command); setup flags fdinfo shows: SQPOLL, CQSIZE"),
        ("thread", "the SQPOLL thread: tid, cpu, idle = share of its life asleep"),
        ("overflow", "completions waiting for room in the CQ (kernel's list)"),
        ("files bufs", "registered files / registered buffers"),
        ("SQ/CQ #n", "pending entries, with the fields the kernel prints"),
    ]

    static func figures(for source: Snapshot.SourceKind?) -> [(String, String)] {
        source == .ioUring ? ioUringFigures + commonFigures : everingFigures + commonFigures
    }

    /// Rows the overlay needs: keys, a blank, figures, legend (evering), settings, borders.
    static func height(for source: Snapshot.SourceKind?) -> Int {
        (keys.count + 1) / 2 + 1 + figures(for: source).count + (source == .ioUring ? 0 : 1) + 1 + 2
    }

    public static func draw(state: DashboardState, source: Snapshot.SourceKind? = nil, into grid: inout ScreenGrid) {
        let width = min(grid.width - 4, 78)
        let height = min(grid.height, height(for: source))
        let box = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(box)
        let inner = PanelFrame.draw(box, title: "Help", focused: true, glyphs: state.glyphs, into: &grid)
        let x = inner.x + 1
        let columnWidth = (inner.width - 2) / 2
        var y = inner.y
        for (index, (key, action)) in keys.enumerated() where y < inner.maxY {
            let column = x + (index % 2) * columnWidth
            grid.put(key, x: column, y: y, style: TextStyle(.title, .bold), maxWidth: 10)
            grid.put(action, x: column + 11, y: y, maxWidth: columnWidth - 12)  // a space before the next column
            if index % 2 == 1 { y += 1 }
        }
        if keys.count % 2 == 1 { y += 1 }
        y += 1
        for (figure, meaning) in figures(for: source) where y < inner.maxY {
            grid.put(figure, x: x, y: y, style: TextStyle(.label, .bold), maxWidth: 10)
            grid.put(meaning, x: x + 11, y: y, maxWidth: inner.maxX - x - 11)
            y += 1
        }
        if source != .ioUring && y < inner.maxY {
            var cx = grid.put("slots: ", x: x, y: y, style: TextStyle(.label))
            // "in CQ": in flight in the table, but its completion already waits in the CQ.
            for slotState in SlotMapPanel.legendStates + [.completedInCQ] {
                grid[cx, y] = Cell(SlotMapPanel.glyph(slotState, state: state), TextStyle(SlotMapPanel.role(slotState)))
                cx = grid.put(" \(slotState == .completedInCQ ? "in CQ" : slotState.rawValue) ", x: cx + 1, y: y)
            }
            y += 1
        }
        if y < inner.maxY {
            let settings = "refresh \(Formatting.duration(seconds: state.interval))  stall timeout "
                + "\(Formatting.duration(seconds: state.stallTimeout))  colour \(state.color ? "on" : "off")"
                + "  \(state.ascii ? "ascii" : "unicode")"
            grid.put(settings, x: x, y: y, style: TextStyle(.muted), maxWidth: inner.width - 2)
        }
    }
}
