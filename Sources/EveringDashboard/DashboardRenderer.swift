import EveringInspect

/// The pure render step: (input, view state, size) -> screen. The ncurses backend only
/// copies the result to the terminal, so everything visible is testable here.
///
///     let grid = DashboardRenderer.render(input, state: DashboardState(), width: 80, height: 24, now: now)
///     grid.rowContaining("healthy")
public enum DashboardRenderer {
    /// - Parameter now: CLOCK_MONOTONIC ns, for "since" columns of alerts.
    public static func render(_ input: DashboardInput, state: DashboardState, width: Int, height: Int,
                              now: UInt64) -> ScreenGrid {
        guard let layout = DashboardLayout(width: width, height: height) else {
            return Overlays.tooSmall(width: max(0, width), height: max(0, height))
        }
        var grid = ScreenGrid(width: width, height: height)
        HeaderPanel.draw(input, state: state, in: layout.header, into: &grid)
        FooterPanel.draw(state: state, in: layout.footer, into: &grid)
        if case let .waiting(reason) = input.connection, input.snapshot == nil {
            let body = Rect(x: 0, y: layout.header.maxY, width: width, height: layout.footer.y - layout.header.maxY)
            Overlays.message(["waiting for ring \(HeaderPanel.ringPath(input.name))", reason,
                              "it will be attached as soon as it is ready"],
                             style: TextStyle(.warning, .bold), glyphs: state.glyphs, in: body, into: &grid)
        } else {
            QueuePanel.draw(.submission, input, state: state, tall: layout.isTall, in: layout.submission, into: &grid)
            QueuePanel.draw(.completion, input, state: state, tall: layout.isTall, in: layout.completion, into: &grid)
            if let snapshot = input.snapshot, snapshot.slots == nil {
                // No slot table (io_uring): one panel across the middle row instead of two
                // that could only say so.
                let middle = Rect(x: layout.slots.x, y: layout.slots.y, width: layout.slots.width + layout.inFlight.width,
                                  height: layout.slots.height)
                PendingEntriesPanel.draw(input, state: state, in: middle, into: &grid)
            } else {
                SlotMapPanel.draw(input, state: state, in: layout.slots, into: &grid)
                InFlightPanel.draw(input, state: state, in: layout.inFlight, into: &grid)
            }
            AlertsPanel.draw(input, state: state, now: now, in: layout.alerts, into: &grid)
        }
        if case let .gone(reason) = input.connection {
            // On the key bar, the one row that is not evidence: the last frame stays whole,
            // every panel title included.
            Overlays.banner("RING GONE: \(reason) - last frame kept, q quits", row: layout.footer.y, into: &grid)
        }
        if state.showHelp { HelpOverlay.draw(state: state, source: input.snapshot?.source, into: &grid) }
        return grid
    }

    /// The largest useful scroll offset of each scrollable panel for this input and size,
    /// so the loop can clamp the state (End, or paging past the end, must not leave an
    /// offset that takes as many Up presses to come back from).
    /// - Parameter now: the clock alerts' ages are measured against (their wrapping depends on
    ///   it); the latest snapshot's time when nil.
    public static func scrollLimits(_ input: DashboardInput, state: DashboardState, width: Int, height: Int,
                                    now: UInt64? = nil) -> [DashboardPanel: Int] {
        guard let layout = DashboardLayout(width: width, height: height) else { return [:] }
        let inFlightRows = input.snapshot?.slots.map(InFlightPanel.rowCount) ?? 0  // per frame: count, do not sort
        let inFlightVisible = max(1, layout.inFlight.height - 3)  // borders and the column header
        // Alerts scroll by entry, down to the first entry of the last page.
        let alertArea = AlertsPanel.entryArea(input, in: layout.alerts)
        let alertsNow = now ?? input.snapshot?.takenAtMonotonicNanoseconds ?? 0
        return [
            .inFlight: max(0, inFlightRows - inFlightVisible),
            .alerts: AlertsPanel.lastPageStart(input.alerts, now: alertsNow, width: alertArea.width, rows: alertArea.rows),
        ]
    }
}
