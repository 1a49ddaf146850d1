import XCTest
@testable import EveringDashboard
import EveringInspect

final class DashboardRenderTests: XCTestCase {
    typealias F = DashboardFixtures

    func render(_ input: DashboardInput, _ state: DashboardState = DashboardState(), width: Int = 80, height: Int = 24) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: F.now)
    }

    func testLayoutAt80x24FitsEveryPanelWithoutOverlap() throws {
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let panels = [layout.header, layout.submission, layout.completion, layout.slots, layout.inFlight, layout.alerts, layout.footer]
        let area = panels.reduce(0) { $0 + $1.width * $1.height }
        XCTAssertEqual(area, 80 * 24, "panels tile the screen exactly")
        XCTAssertEqual(layout.footer.y, 23)
        XCTAssertFalse(layout.isTall)
        XCTAssertGreaterThanOrEqual(layout.alerts.height, 5)
        XCTAssertGreaterThanOrEqual(layout.slots.height, 5)
        XCTAssertNil(DashboardLayout(width: 79, height: 24))
        XCTAssertNil(DashboardLayout(width: 80, height: 23))
    }

    func testLayoutAt120x40UsesTheRoom() throws {
        let layout = try XCTUnwrap(DashboardLayout(width: 120, height: 40))
        XCTAssertTrue(layout.isTall)
        XCTAssertEqual(layout.submission.height, 12)
        XCTAssertEqual(layout.submission.width + layout.completion.width, 120)
        XCTAssertGreaterThan(layout.inFlight.height, 10)
        XCTAssertEqual(layout.footer.maxY, 40)
    }

    func testHealthyScreenAt80x24ShowsEveryPanel() {
        let grid = render(F.healthyInput())
        let text = grid.text
        XCTAssertEqual(grid.text(row: 0).prefix(11), "evering-top")
        XCTAssertTrue(grid.text(row: 0).contains("/evering-demo"))
        XCTAssertTrue(grid.text(row: 0).contains("ABI 1.0"))
        XCTAssertTrue(grid.text(row: 0).contains("age 1m40s"))  // realtime 1000 s - created 900 s
        XCTAssertTrue(grid.text(row: 0).hasSuffix("refresh 1.0s"), grid.text(row: 0))
        XCTAssertTrue(grid.text(row: 1).contains("requester 100 alive hb 20ms"))
        XCTAssertTrue(grid.text(row: 1).contains("responder 101 alive"))
        XCTAssertTrue(grid.text(row: 1).contains("15.0k ops/s"))
        for title in ["Submission queue", "Completion queue", "Driver slots", "In-flight ops", "Alerts"] {
            XCTAssertTrue(text.contains(title), "missing panel \(title)\n\(text)")
        }
        XCTAssertTrue(text.contains("used 12/256 5%"), text)
        XCTAssertTrue(text.contains("head 123456  tail 123468"), text)
        XCTAssertTrue(text.contains("at head: op 5#9 opc 2 len 16 3.0s"), text)
        XCTAssertTrue(text.contains("healthy: no findings"), text)
        XCTAssertTrue(grid.text(row: 23).hasPrefix("q quit"), grid.text(row: 23))
        XCTAssertTrue(grid.text(row: 23).contains("r reset peaks"), grid.text(row: 23))
        XCTAssertEqual(grid[0, 23].style.role, .normal)
        XCTAssertEqual(grid[1, 23].style.role, .selection)
    }

    func testQueueGaugeMarksHeadAndTailWhereTheyAre() throws {
        // SQ capacity 256, head 123456 (index 64), tail 123468 (index 76): a quarter in.
        let grid = render(F.healthyInput())
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let markRow = layout.submission.y + 2
        let barRow = markRow + 1
        let gaugeX = layout.submission.x + 2
        let gaugeWidth = layout.submission.width - 4
        let headColumn = gaugeX + 64 * gaugeWidth / 256
        let tailColumn = gaugeX + 76 * gaugeWidth / 256
        XCTAssertEqual(grid[headColumn, markRow].character, "H")
        XCTAssertEqual(grid[tailColumn, markRow].character, "T")
        XCTAssertEqual(grid[headColumn, barRow].character, "█")
        XCTAssertEqual(grid[headColumn, barRow].style.role, .gaugeUsed)
        XCTAssertEqual(grid[gaugeX, barRow].character, "░")
    }

    func testInFlightTableIsOldestFirstAndSortable() throws {
        let grid = render(F.healthyInput())
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let firstRow = layout.inFlight.y + 2
        XCTAssertTrue(grid.text(row: firstRow - 1).contains("slot   gen    opc   state      age"))
        XCTAssertEqual(grid.text(row: firstRow - 1).last, "│", "the header row keeps the right border")
        XCTAssertTrue(grid.text(row: firstRow).contains("5      9      2     submitted  3.0s"), grid.text(row: firstRow))
        XCTAssertTrue(grid.text(row: firstRow + 1).contains("6      9      2     waiting    2.0s"))
        XCTAssertTrue(grid.text(row: firstRow + 2).contains("700    9      2     cancelled  1.0s"))
        var state = DashboardState()
        _ = state.handle(.character("s"))  // age -> slot
        _ = state.handle(.character("s"))  // slot -> state: submitted(5) < waiting(6)?  by state name
        let sorted = render(F.healthyInput(), state)
        XCTAssertTrue(sorted.text(row: layout.inFlight.y).contains("3 by state"))
        // by state name: cancelled < submitted < waiting
        XCTAssertTrue(sorted.text(row: firstRow).contains("700"), sorted.text(row: firstRow))
    }

    func testFirstRowsMatchesTheFullSortForEveryOrder() {
        var inFlight: [UInt32: (ObservedSlotState, UInt64)] = [:]
        let states: [ObservedSlotState] = [.submitted, .waiting, .cancelled]
        for i in 0..<500 { inFlight[UInt32(i)] = (states[i % 3], UInt64((i * 7919) % 1000) * 1_000_000) }
        let table = F.snapshot(inFlight: inFlight).slots!
        for sort in InFlightSort.allCases {
            let full = InFlightPanel.rows(table, sort: sort)
            XCTAssertEqual(full.count, 500)
            for limit in [1, 13, 40] {
                XCTAssertEqual(InFlightPanel.firstRows(table, sort: sort, limit: limit).map(\.index),
                               full.prefix(limit).map(\.index), "sort \(sort), limit \(limit)")
            }
        }
        XCTAssertEqual(InFlightPanel.rows(table, sort: .age).first?.ageNanoseconds, 999_000_000)
    }

    func testInFlightTableScrollsWhenFocused() throws {
        var inFlight: [UInt32: (ObservedSlotState, UInt64)] = [:]
        for i in 0..<20 { inFlight[UInt32(i)] = (.submitted, UInt64(100 - i) * F.second) }
        let input = DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(inFlight: inFlight))
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        var state = DashboardState()
        XCTAssertEqual(state.focus, .inFlight)
        let top = render(input, state)
        XCTAssertTrue(top.text(row: layout.inFlight.y + 2).hasPrefix("│ 0 ") || top.text(row: layout.inFlight.y + 2).contains("│ 0      "))
        XCTAssertTrue(top.text(row: layout.inFlight.maxY - 1).contains("1-4/20"), top.text)
        _ = state.handle(.down)
        _ = state.handle(.down)
        let scrolled = render(input, state)
        XCTAssertTrue(scrolled.text(row: layout.inFlight.y + 2).contains("│ 2      "), scrolled.text)
        XCTAssertTrue(scrolled.text(row: layout.inFlight.maxY - 1).contains("3-6/20"))
        _ = state.handle(.end)
        let bottom = render(input, state)
        XCTAssertTrue(bottom.text(row: layout.inFlight.maxY - 1).contains("17-20/20"), bottom.text)
        // The loop clamps the state to the content, so one Up from the end moves one row.
        let limits = DashboardRenderer.scrollLimits(input, state: state, width: 80, height: 24)
        XCTAssertEqual(limits[.inFlight], 16)
        state.clampScroll(to: limits)
        XCTAssertEqual(state.scrollOffset(.inFlight), 16)
        _ = state.handle(.up)
        let upOne = render(input, state)
        XCTAssertTrue(upOne.text(row: layout.inFlight.maxY - 1).contains("16-19/20"), upOne.text)
    }

    func testSlotMapAggregatesAndShowsTheWorstStatePerCell() {
        // 65,536 slots into 100 cells: 656 slots per cell; one cancelled op in cell 2.
        let table = SlotTable(slotCount: 65_536, counts: SlotTable.Counts(free: 65_534, submitted: 1, cancelled: 1),
                              busy: [SlotTable.Record(index: 1400, state: .submitted, rawState: 1, generation: 1, opcode: 0,
                                                      length: 0, ageNanoseconds: 0),
                                     SlotTable.Record(index: 1401, state: .cancelled, rawState: 4, generation: 1, opcode: 0,
                                                      length: 0, ageNanoseconds: 0)])
        XCTAssertEqual(SlotMapPanel.slotsPerCell(slotCount: 65_536, cells: 100), 656)
        let states = SlotMapPanel.cellStates(table, cells: 100)
        XCTAssertEqual(states.count, 100)
        XCTAssertEqual(states[2], .cancelled)
        XCTAssertEqual(states.filter { $0 != .free }.count, 1)
        // Fewer slots than cells: one cell per slot.
        XCTAssertEqual(SlotMapPanel.cellStates(F.snapshot(slotCount: 8, inFlight: [3: (.waiting, 1)]).slots!, cells: 100),
                       [.free, .free, .free, .waiting, .free, .free, .free, .free])
    }

    func testSlotMapLegendCountsAndMonochromeLetters() throws {
        var state = DashboardState(color: false)
        state.focus = .slots
        let grid = render(F.healthyInput(), state)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let inner = layout.slots.inset
        // 1024 slots in 36 x 3 cells = 108 cells -> 10 slots per cell.
        XCTAssertTrue(grid.text.contains("free 1021"), grid.text)
        XCTAssertTrue(grid.text.contains("sub 1"))
        XCTAssertTrue(grid.text.contains("canc 1"))
        XCTAssertTrue(grid.text.contains("cell=10 slots"), grid.text)
        // Slots 5 and 6 are in cell 0 (worst: waiting); slot 700 is in cell 70.
        XCTAssertEqual(grid[inner.x + 1, inner.y].character, "w")
        XCTAssertEqual(grid[inner.x + 1 + 70 % 36, inner.y + 70 / 36].character, "X")
        XCTAssertEqual(grid[inner.x + 2, inner.y].character, ".")
        XCTAssertTrue(grid.text(row: layout.slots.y).contains("[Driver slots]"), "focused title is marked")
    }

    /// Incidents: the root cause on top with its symptoms indented under it; when the fault
    /// turns into a later cause of the same party (hung -> dead) the old alerts read
    /// superseded, never resolved; only when nothing blames that party any more is it resolved.
    func testAlertsGroupIncidentsAndShowTheirLifecycle() throws {
        var log = AlertLog()
        let stalled = Finding(rule: .consumerStalled, severity: .critical, subject: "sq",
                              message: "responder stuck: sq head unchanged for 3.0s", culprit: .responder)
        let hung = Finding(rule: .heartbeatStale, severity: .critical, subject: "responder",
                           message: "the responder is hung: heartbeat 2.0s old", culprit: .responder)
        log.update([stalled], at: F.now - 5 * F.second)
        log.update([stalled, hung], at: F.now - F.second)
        let input = DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(), alerts: log.ordered)
        let grid = render(input)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let first = grid.text(row: layout.alerts.y + 1)
        let second = grid.text(row: layout.alerts.y + 2)
        XCTAssertTrue(first.contains("CRIT heartbeat-stale the responder is hung: heartbeat 2.0s old (1.0s)"), first)
        XCTAssertTrue(second.contains("CRIT consumer-stalled responder stuck"), second)
        XCTAssertTrue(second.contains("(5.0s)"), second)
        XCTAssertTrue(second.hasPrefix("│   ↳ ") || second.contains(" ↳ CRIT"), "a symptom is indented under its cause: \(second)")
        XCTAssertEqual(grid[layout.alerts.x + 2, layout.alerts.y + 1].style.role, .critical)
        XCTAssertTrue(grid.text(row: layout.alerts.y).contains("1 incident"), grid.text(row: layout.alerts.y))
        XCTAssertFalse(grid.text.contains("healthy"))

        // The hung responder dies: the hang alerts are superseded by the death, not resolved.
        let dead = Finding(rule: .peerDead, severity: .critical, subject: "responder",
                           message: "the responder died without detaching", culprit: .responder)
        log.update([dead], at: F.now)
        let after = render(DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(), alerts: log.ordered))
        XCTAssertTrue(after.text.contains("CRIT peer-dead the responder died"), after.text)
        XCTAssertTrue(after.text.contains("superseded by peer-dead responder"), after.text)
        XCTAssertEqual(log.entries.first { $0.finding.rule == .consumerStalled }?.supersededBy, "peer-dead responder")
        XCTAssertFalse(after.text.contains("resolved"), after.text)
        XCTAssertEqual(log.entries.first { $0.finding.rule == .heartbeatStale }?.supersededBy, "peer-dead responder")

        // Nothing blames the responder any more: resolved, and "healthy" returns.
        log.update([], at: F.now + F.second)
        let resolved = render(DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(), alerts: log.ordered))
        XCTAssertTrue(resolved.text.contains("healthy: no findings"))
        XCTAssertTrue(resolved.text.contains("peer-dead resolved"), resolved.text)
        XCTAssertEqual(log.entries.first { $0.finding.rule == .heartbeatStale }?.supersededBy, "peer-dead responder",
                       "an ended alert keeps how it ended")
    }

    /// The status word sits in the header in its colour; a blocked queue's gauge is red.
    func testHeaderStatusWordAndGaugeColourFollowTheIncidents() throws {
        let blocked = Finding(rule: .producerBlocked, severity: .critical, subject: "sq", message: "blocked", culprit: .responder)
        var snapshot = F.snapshot()
        snapshot.submission = QueueStatus(kind: .submission, head: 0, tail: UInt64(snapshot.submission.capacity),
                                          capacity: snapshot.submission.capacity)
        let report = InspectReport(snapshot: snapshot, findings: [blocked], thresholds: .default)
        let input = DashboardInput(name: "r", connection: .live, snapshot: snapshot, alerts: F.alerts([blocked]),
                                   status: report.status)
        let grid = render(input)
        let header = grid.text(row: 0)
        XCTAssertTrue(header.contains(" STUCK "), header)
        let x = try XCTUnwrap(header.range(of: " STUCK ").map { header.distance(from: header.startIndex, to: $0.lowerBound) })
        XCTAssertEqual(grid[x + 1, 0].style.role, .critical)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let bar = layout.submission.inset.y + 2  // used line, marks row, bar
        XCTAssertEqual(grid[layout.submission.inset.x + 1, bar].style.role, .critical, grid.text(row: bar))
        // Healthy: OK in green, the bar in the ordinary gauge colour.
        let healthy = render(DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(), status: .ok))
        XCTAssertTrue(healthy.text(row: 0).contains(" OK "), healthy.text(row: 0))
    }

    func testLongAlertMessagesWrapOntoIndentedLines() throws {
        let message = "the submission queue has been full for 13.0 s (64 entries, 0 taken meanwhile): the requester is blocked"
        let input = DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(),
                                   alerts: F.alerts([F.finding(.producerBlocked, .critical, "sq", message)]))
        let grid = render(input)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        let first = grid.text(row: layout.alerts.y + 1)
        let second = grid.text(row: layout.alerts.y + 2)
        XCTAssertTrue(first.contains("CRIT producer-blocked the submission queue has been full"), first)
        XCTAssertTrue(second.hasPrefix("│      "), "continuation is indented: \(second)")
        XCTAssertTrue(first.hasSuffix("(64      │"), first)
        XCTAssertTrue(second.contains("│      entries, 0 taken meanwhile)"), second)
        XCTAssertTrue(grid.text.contains("blocked (2.0s)"), grid.text)
        XCTAssertEqual(AlertsPanel.wrap("aa bb cc", first: 5, rest: 2), ["aa bb", "cc"])
    }

    func testDeadResponderIsShoutedInTheHeader() {
        let input = DashboardInput(name: "r", connection: .live,
                                   snapshot: F.snapshot(responder: F.side(.responder, pid: 101, liveness: .dead)))
        let grid = render(input)
        let row = grid.text(row: 1)
        XCTAssertTrue(row.contains("responder 101 DEAD"), row)
        let column = try! XCTUnwrap(grid.find("DEAD", row: 1))
        XCTAssertEqual(grid[column, 1].style.role, .critical)
    }

    func testStaleHeartbeatIsAWarningAtTheStallTimeout() throws {
        let input = DashboardInput(name: "r", connection: .live,
                                   snapshot: F.snapshot(responder: F.side(.responder, pid: 101, heartbeat: 600_000_000)))
        let lenient = render(input, DashboardState(stallTimeout: 1))
        let strict = render(input, DashboardState(stallTimeout: 0.5))
        let column = try XCTUnwrap(lenient.find("hb 600ms", row: 1))
        XCTAssertEqual(lenient[column, 1].style.role, .muted)
        XCTAssertEqual(strict[column, 1].style.role, .warning)
    }

    func testTooSmallSaysSoInsteadOfDrawingGarbage() {
        let grid = render(F.healthyInput(), width: 60, height: 20)
        XCTAssertEqual(grid.width, 60)
        XCTAssertTrue(grid.text.contains("terminal too small"))
        XCTAssertTrue(grid.text.contains("60x20, need at least 80x24"))
        XCTAssertFalse(grid.text.contains("Submission"))
        let tiny = render(F.healthyInput(), width: 10, height: 2)
        XCTAssertTrue(tiny.text(row: 0).hasPrefix("terminal t") || tiny.text(row: 1).hasPrefix("terminal t"), tiny.text)
    }

    func testWaitingForRingAndRingGone() {
        let waiting = render(DashboardInput(name: "later", connection: .waiting(reason: "its creator has not finished setting it up")))
        XCTAssertTrue(waiting.text.contains("waiting for ring /later"), waiting.text)
        XCTAssertTrue(waiting.text.contains("its creator has not finished"))
        XCTAssertFalse(waiting.text.contains("Submission queue"))
        var gone = F.healthyInput()
        gone.connection = .gone(reason: "/evering-demo was unlinked or replaced")
        let grid = render(gone)
        let row = try! XCTUnwrap(grid.rowContaining("RING GONE"))
        XCTAssertTrue(grid.text(row: row).contains("/evering-demo was unlinked or replaced - last frame kept"))
        XCTAssertEqual(grid[0, row].style.role, .banner)
        XCTAssertTrue(grid.text.contains("In-flight ops"), "the last frame stays behind the banner")
    }

    func testPausedMarkerAndHelpOverlay() {
        var state = DashboardState()
        _ = state.handle(.character(" "))
        let paused = render(F.healthyInput(), state)
        XCTAssertTrue(paused.text(row: 0).hasSuffix(" PAUSED  refresh 1.0s"), paused.text(row: 0))
        XCTAssertTrue(paused.text(row: 0).contains("ABI 1.0"), "the left part still fits: \(paused.text(row: 0))")
        _ = state.handle(.character("h"))
        let help = render(F.healthyInput(), state)
        XCTAssertTrue(help.text.contains("[Help]"))
        XCTAssertTrue(help.text.contains("cycle the in-flight sort"))
        XCTAssertTrue(help.text.contains("H = consumer's head"))
    }

    func testAsciiModeUsesNoNonAsciiCharacters() {
        let grid = render(F.healthyInput(), DashboardState(ascii: true), width: 120, height: 40)
        let nonASCII = grid.cells.filter { !$0.character.isASCII }
        XCTAssertEqual(nonASCII.count, 0, String(String.UnicodeScalarView(nonASCII.map(\.character))))
        XCTAssertTrue(grid.text.contains("+ Submission queue "))
    }

    func testTallLayoutAt120x40HasSparklineRowsAndCounters() {
        let grid = render(F.healthyInput(), width: 120, height: 40)
        XCTAssertTrue(grid.text.contains("full 3 empty 40"), grid.text)
        let fillRow = try! XCTUnwrap(grid.rowContaining("│ fill "))
        XCTAssertTrue(grid.text(row: fillRow + 1).contains("│ rate "))
        // Sparkline of fills 0..7 repeating: the history ends at used 19 % 8 = 3 of 256.
        XCTAssertTrue(grid.text(row: fillRow).contains("▁"), grid.text(row: fillRow))
        XCTAssertEqual(grid.height, 40)
        XCTAssertTrue(grid.text(row: 39).hasPrefix("q quit"))
        // The wider in-flight table adds length and user data.
        let header = try! XCTUnwrap(grid.rowContaining("state      age"))
        XCTAssertTrue(grid.text(row: header).contains("age      len    user data"), grid.text(row: header))
        XCTAssertTrue(grid.text(row: header + 1).contains("3.0s     16     0x0"), grid.text(row: header + 1))
    }
}
