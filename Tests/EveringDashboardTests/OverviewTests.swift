import XCTest
import EveringDashboard
import EveringInspect

/// The overview's reducer and renderer, on hand-built rows and the pure grid.
final class OverviewTests: XCTestCase {
    static func row(_ name: String, _ status: RingStatus = .ok, rate: Double? = 10, sq: UInt64 = 0, findings: Int = 0,
                    requester: OverviewRow.Side? = OverviewRow.Side(pid: 100, state: .attached, liveness: .alive),
                    responder: OverviewRow.Side? = OverviewRow.Side(pid: 101, state: .attached, liveness: .alive)) -> OverviewRow {
        OverviewRow(name: name, status: status, requester: requester, responder: responder, submissionUsed: sq,
                    submissionCapacity: 100, completionUsed: 0, completionCapacity: 100, opsPerSecond: rate,
                    oldestInFlightNanoseconds: nil, findings: findings, owner: "alice")
    }

    let rows = [row("/b", .ok, rate: 5, sq: 50), row("/a", .stuck, rate: 1, sq: 10, findings: 2),
                row("/c", .dead, rate: 9, sq: 0, findings: 1), row("/d", .degraded, rate: 7, sq: 90)]
    let layout = OverviewLayout(width: 120, height: 20)!

    func names(_ state: OverviewState, _ rows: [OverviewRow]? = nil) -> [String] {
        state.visibleRows(rows ?? self.rows).map(\.name)
    }

    func press(_ state: inout OverviewState, _ keys: DashboardKey..., rows: [OverviewRow]? = nil) -> OverviewCommand {
        var last = OverviewCommand.none
        for key in keys {
            last = state.handle(key, names: names(state, rows), layout: layout)
            state.settle(names: names(state, rows), visibleLines: layout.tableLines)
        }
        return last
    }

    // MARK: sorting

    func testDefaultSortIsByNameAndStatusPutsTheWorstFirst() {
        var state = OverviewState()
        XCTAssertEqual(names(state), ["/a", "/b", "/c", "/d"])
        state.sortColumn = .status
        XCTAssertEqual(names(state), ["/c", "/a", "/d", "/b"], "DEAD, STUCK, DEGRADED, OK")
        state.inverted = true
        XCTAssertEqual(names(state), ["/b", "/d", "/a", "/c"])
    }

    func testFiguresSortBiggestFirstAndKeysChooseTheColumn() {
        var state = OverviewState()
        _ = press(&state, .character(">"))
        XCTAssertEqual(state.sortColumn, .status)
        _ = press(&state, .character("<"), .character("<"))
        XCTAssertEqual(state.sortColumn, .owner, "< wraps from the first column to the last")
        state.sortColumn = .rate
        XCTAssertEqual(names(state), ["/c", "/d", "/b", "/a"])
        state.sortColumn = .submission
        XCTAssertEqual(names(state), ["/d", "/b", "/a", "/c"])
        _ = press(&state, .character("I"))
        XCTAssertTrue(state.inverted)
        XCTAssertEqual(names(state), ["/c", "/a", "/b", "/d"])
        _ = press(&state, .character(">"))
        XCTAssertFalse(state.inverted, "a new column starts in its natural order")
    }

    func testF6MenuChoosesAColumnAndEscCancels() {
        var state = OverviewState()
        _ = press(&state, .function(6))
        XCTAssertEqual(state.mode, .choosingSort(.name))
        _ = press(&state, .down, .down)
        _ = press(&state, .escape)
        XCTAssertEqual(state.mode, .table)
        XCTAssertEqual(state.sortColumn, .name, "Esc leaves the sort as it was")
        _ = press(&state, .function(6), .down, .enter)
        XCTAssertEqual(state.sortColumn, .status)
        XCTAssertEqual(state.mode, .table)
    }

    func testClickingAHeaderSortsAndClickingItAgainInverts() {
        var state = OverviewState()
        let status = layout.columns.first { $0.column == .status }!
        _ = press(&state, .click(x: status.x + 1, y: layout.headerRow))
        XCTAssertEqual(state.sortColumn, .status)
        XCTAssertFalse(state.inverted)
        _ = press(&state, .click(x: status.x + 1, y: layout.headerRow))
        XCTAssertTrue(state.inverted)
    }

    // MARK: cursor

    func testCursorStaysOnTheSameRingAcrossResorts() {
        var state = OverviewState()
        _ = press(&state, .down)  // /a -> /b
        XCTAssertEqual(state.selected, "/b")
        _ = press(&state, .character(">"))  // by status: /c /a /d /b
        XCTAssertEqual(state.selected, "/b")
        XCTAssertEqual(state.selectedIndex, 3)
        _ = press(&state, .character("I"))
        XCTAssertEqual(state.selected, "/b")
        XCTAssertEqual(state.selectedIndex, 0)
    }

    func testRemovedRingLeavesTheCursorAtItsPosition() {
        var state = OverviewState()
        _ = press(&state, .down)
        XCTAssertEqual(state.selected, "/b")
        let fewer = rows.filter { $0.name != "/b" }
        state.settle(names: names(state, fewer), visibleLines: 10)
        XCTAssertEqual(state.selected, "/c", "the ring that took /b's place")
        state.settle(names: [], visibleLines: 10)
        XCTAssertNil(state.selected)
        state.settle(names: ["/z"], visibleLines: 10)
        XCTAssertEqual(state.selected, "/z")
    }

    func testNewRingsDoNotMoveTheCursorOffItsRing() {
        var state = OverviewState()
        _ = press(&state, .down, .down)
        XCTAssertEqual(state.selected, "/c")
        let more = rows + [Self.row("/0"), Self.row("/00")]
        state.settle(names: names(state, more), visibleLines: 10)
        XCTAssertEqual(state.selected, "/c")
        XCTAssertEqual(state.selectedIndex, 4)
    }

    func testCursorKeysClampAndClickSelectsARow() {
        var state = OverviewState()
        _ = press(&state, .up)
        XCTAssertEqual(state.selected, "/a")
        _ = press(&state, .end)
        XCTAssertEqual(state.selected, "/d")
        _ = press(&state, .down, .pageDown)
        XCTAssertEqual(state.selected, "/d")
        _ = press(&state, .home)
        XCTAssertEqual(state.selected, "/a")
        _ = press(&state, .click(x: 3, y: layout.firstTableRow + 2))
        XCTAssertEqual(state.selected, "/c")
        _ = press(&state, .click(x: 3, y: layout.firstTableRow + 9))  // below the last ring
        XCTAssertEqual(state.selected, "/c")
    }

    func testScrollFollowsTheCursor() {
        let many = (0..<50).map { Self.row(String(format: "/r%02d", $0)) }
        var state = OverviewState()
        for _ in 0..<30 { _ = press(&state, .down, rows: many) }
        XCTAssertEqual(state.selected, "/r30")
        XCTAssertEqual(state.scroll, 30 - layout.tableLines + 1)
        let grid = OverviewRenderer.render(OverviewInput(rows: many), state: state, width: 120, height: 20)
        XCTAssertEqual(grid.rowContaining("/r30"), layout.firstTableRow + layout.tableLines - 1)
        XCTAssertNil(grid.rowContaining("/r00"))
    }

    func testEnterDrillsIntoTheSelectedRing() {
        var state = OverviewState()
        _ = press(&state, .down)
        XCTAssertEqual(press(&state, .enter), .drillIn("/b"))
        var empty = OverviewState()
        XCTAssertEqual(press(&empty, .enter, rows: []), OverviewCommand.none)
    }

    // MARK: filter

    func testFilterNarrowsByNameAndEscRemovesIt() {
        var state = OverviewState()
        let orders = rows + [Self.row("/orders-1"), Self.row("/ORDERS-2")]
        _ = press(&state, .character("/"), .character("o"), .character("r"), .character("d"), rows: orders)
        XCTAssertEqual(names(state, orders), ["/ORDERS-2", "/orders-1"], "case-insensitive, live while typing")
        _ = press(&state, .character("q"), rows: orders)
        XCTAssertEqual(state.filter, "ordq", "q is a letter while typing")
        _ = press(&state, .backspace, .enter, rows: orders)
        XCTAssertEqual(state.filter, "ord")
        XCTAssertEqual(state.mode, .table)
        XCTAssertEqual(state.selected, "/ORDERS-2", "the cursor moved onto a visible ring")
        _ = press(&state, .escape, rows: orders)
        XCTAssertEqual(state.filter, "ord", "Esc in the table leaves the filter (a stray escape sequence must not drop it)")
        _ = press(&state, .character("/"), .character("x"), .escape, rows: orders)
        XCTAssertEqual(state.filter, "", "Esc while typing removes the filter, as in htop's filter bar")
        XCTAssertEqual(state.mode, .table)
        XCTAssertEqual(state.selected, "/ORDERS-2", "the cursor stays on its ring")
    }

    // MARK: help and quitting

    func testHelpClosesOnEscAndQQuitsFromAnywhere() {
        var state = OverviewState()
        _ = press(&state, .character("?"))
        XCTAssertTrue(state.showHelp)
        XCTAssertEqual(press(&state, .escape), OverviewCommand.none)
        XCTAssertFalse(state.showHelp)
        XCTAssertEqual(state.filter, "")
        _ = press(&state, .character("h"))
        XCTAssertEqual(press(&state, .character("q")), .quit)
        var menu = OverviewState()
        _ = press(&menu, .function(6))
        XCTAssertEqual(press(&menu, .character("q")), .quit)
        var plain = OverviewState()
        XCTAssertEqual(press(&plain, .character(" ")), OverviewCommand.none)
        XCTAssertTrue(plain.paused)
        XCTAssertEqual(press(&plain, .character("+")), .intervalChanged)
        XCTAssertEqual(plain.interval, 0.5)
    }

    func testDashboardOpenedFromTheOverviewGoesBackOnEscAfterClosingHelp() {
        var dashboard = DashboardState()
        dashboard.canGoBack = true
        XCTAssertEqual(dashboard.handle(.character("h")), DashboardCommand.none)
        XCTAssertEqual(dashboard.handle(.escape), DashboardCommand.none, "Esc first closes the help")
        XCTAssertEqual(dashboard.handle(.escape), .back)
        XCTAssertEqual(dashboard.handle(.backspace), .back)
        XCTAssertEqual(dashboard.handle(.character("q")), .quit)
        var alone = DashboardState()
        XCTAssertEqual(alone.handle(.escape), DashboardCommand.none, "attach has nothing to go back to")
        let input = DashboardInput(name: "/x", connection: .waiting(reason: "test"))
        let drilled = DashboardRenderer.render(input, state: dashboard, width: 80, height: 24, now: 0)
        XCTAssertTrue(drilled.text(row: 23).hasPrefix("Esc back"), "the key bar says how to go back")
        let attached = DashboardRenderer.render(input, state: alone, width: 80, height: 24, now: 0)
        XCTAssertFalse(attached.text(row: 23).contains("back"))
    }

    // MARK: rendering

    func testRendersEveryColumnAndHighlightsStuckAndDeadRings() {
        var state = OverviewState()
        state.settle(names: names(state), visibleLines: layout.tableLines)
        let grid = OverviewRenderer.render(OverviewInput(rows: rows), state: state, width: 120, height: 20)
        let header = grid.text(row: layout.headerRow)
        for column in OverviewColumn.allCases { XCTAssertTrue(header.contains(column.title), column.title) }
        XCTAssertTrue(grid.text(row: 0).contains("4 rings"))
        XCTAssertTrue(grid.text(row: 0).contains("1 DEAD"))
        XCTAssertTrue(grid.text(row: 0).contains("1 STUCK"))
        let stuck = grid.rowContaining("/a")!, ok = grid.rowContaining("/b")!, dead = grid.rowContaining("/c")!
        XCTAssertTrue(grid.text(row: stuck).contains("STUCK"))
        XCTAssertTrue(grid.text(row: dead).contains("DEAD"))
        XCTAssertTrue(grid.text(row: ok).contains("100 alive"))
        XCTAssertTrue(grid.text(row: ok).contains("50%"))
        XCTAssertEqual(grid[1, stuck].style.role, .critical, "the selected STUCK ring stays red")
        XCTAssertTrue(grid[1, stuck].style.attributes.contains(.reverse), "and shows the cursor")
        XCTAssertEqual(grid[1, dead].style.role, .critical)
        XCTAssertFalse(grid[1, dead].style.attributes.contains(.reverse))
        XCTAssertEqual(grid[1, ok].style.role, .normal)
        let statusX = layout.columns.first { $0.column == .status }!.x
        XCTAssertEqual(grid[statusX, ok].style.role, .good)
    }

    func testDeadSideIsShownAsDead() {
        let row = Self.row("/x", .dead, responder: OverviewRow.Side(pid: 4242, state: .attached, liveness: .dead))
        let grid = OverviewRenderer.render(OverviewInput(rows: [row]), state: OverviewState(), width: 120, height: 10)
        XCTAssertTrue(grid.text(row: layout.firstTableRow).contains("4242 DEAD"))
    }

    func testEmptyFleetAndFilterWithoutMatchesSaySo() {
        let empty = OverviewRenderer.render(OverviewInput(rows: []), state: OverviewState(), width: 80, height: 24)
        XCTAssertNotNil(empty.rowContaining(OverviewRenderer.emptyMessage))
        XCTAssertTrue(empty.text(row: 0).contains("0 rings"))
        var state = OverviewState()
        state.filter = "zzz"
        let none = OverviewRenderer.render(OverviewInput(rows: rows), state: state, width: 80, height: 24)
        XCTAssertNotNil(none.rowContaining("no ring matches \"zzz\""))
        XCTAssertTrue(none.text(row: 0).contains("4 rings (0 shown)"))
    }

    func testNarrowTerminalDropsTheLeastImportantColumnsFirst() {
        let narrow = OverviewLayout(width: 50, height: 10)!
        let kept = narrow.columns.map(\.column)
        XCTAssertEqual(kept.first, .name)
        XCTAssertTrue(kept.contains(.status))
        XCTAssertFalse(kept.contains(.owner))
        XCTAssertGreaterThanOrEqual(narrow.columns[0].width, 16)
        XCTAssertLessThanOrEqual(narrow.columns.last!.x + narrow.columns.last!.width, 50)
        let grid = OverviewRenderer.render(OverviewInput(rows: rows), state: OverviewState(), width: 50, height: 10)
        XCTAssertTrue(grid.text(row: narrow.headerRow).contains("STATUS"))
        XCTAssertFalse(grid.text(row: narrow.headerRow).contains("OWNER"))
        let tiny = OverviewRenderer.render(OverviewInput(rows: rows), state: OverviewState(), width: 20, height: 4)
        XCTAssertNotNil(tiny.rowContaining("terminal too small"))
        XCTAssertEqual(Set(OverviewLayout(width: 80, height: 24)!.columns.map(\.column)),
                       Set(OverviewColumn.allCases).subtracting([.owner, .oldest]), "at 80 columns only owner and age go")
        XCTAssertEqual(OverviewLayout(width: 100, height: 24)!.columns.count, OverviewColumn.allCases.count)
    }

    func testFilterLineAndSortMenuAreDrawn() {
        var state = OverviewState()
        _ = press(&state, .character("/"), .character("a"))
        var grid = OverviewRenderer.render(OverviewInput(rows: rows), state: state, width: 80, height: 24)
        XCTAssertTrue(grid.text(row: 23).hasPrefix("Filter: a_"))
        state = OverviewState()
        _ = press(&state, .function(6), .down)
        grid = OverviewRenderer.render(OverviewInput(rows: rows), state: state, width: 80, height: 24)
        let statusLine = grid.rowContaining(" STATUS")!
        XCTAssertTrue(grid[1, statusLine].style.attributes.contains(.reverse), "the highlighted column")
        XCTAssertNotNil(grid.rowContaining("*NAME"), "the current sort is marked")
    }

    // MARK: rows from snapshots

    func testRowFromAnEveringSnapshotTakesSidesFillAndOldestOp() {
        let snapshot = DashboardFixtures.snapshot(sqCapacity: 256, inFlight: [3: (.submitted, 7 * DashboardFixtures.second),
                                                                              9: (.waiting, 2 * DashboardFixtures.second)])
        let row = OverviewRow(name: "/evering-demo", snapshot: snapshot, rates: nil, findingCount: 2, status: .ok, owner: "bob")
        XCTAssertEqual(row.requester, OverviewRow.Side(pid: 100, state: .attached, liveness: .alive))
        XCTAssertEqual(row.responder?.pid, 101)
        XCTAssertEqual(row.submissionUsed, 12)
        XCTAssertEqual(row.submissionCapacity, 256)
        XCTAssertEqual(row.oldestInFlightNanoseconds, 7 * DashboardFixtures.second)
        XCTAssertNil(row.opsPerSecond)
        XCTAssertEqual(row.findings, 2)
    }

    func testRowFromAnIOUringPutsItsProcessInTheRequesterColumn() {
        let snapshot = Snapshot(source: .ioUring, name: "io_uring:42:5", takenAtMonotonicNanoseconds: 1,
                                process: ProcessStatus(pid: 42, command: "fio", liveness: .alive),
                                submission: QueueStatus(kind: .submission, head: 10, tail: 14, capacity: 8),
                                completion: QueueStatus(kind: .completion, head: 0, tail: 0, capacity: 16))
        let row = OverviewRow(name: "io_uring:42:5", snapshot: snapshot, rates: nil, findingCount: 0, status: .ok, owner: "fio")
        XCTAssertEqual(row.requester?.pid, 42)
        XCTAssertNil(row.responder)
        XCTAssertEqual(row.submissionFill, 0.5)
        let grid = OverviewRenderer.render(OverviewInput(rows: [row]), state: OverviewState(), width: 120, height: 10)
        let line = grid.text(row: layout.firstTableRow)
        XCTAssertTrue(line.contains("42 alive"), line)
        XCTAssertTrue(line.contains("50%"), line)
        XCTAssertTrue(line.contains("fio"), line)
    }
}
