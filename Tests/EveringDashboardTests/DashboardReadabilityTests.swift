import XCTest
@testable import EveringDashboard
import EveringInspect

/// What a user reads off the screen is true and explained: ages, sparkline scales, the help,
/// the alerts' last page, the ring-gone banner, the io_uring header.
final class DashboardReadabilityTests: XCTestCase {
    typealias F = DashboardFixtures

    func render(_ input: DashboardInput, _ state: DashboardState = DashboardState(), width: Int = 80, height: Int = 24,
                now: UInt64 = F.now) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: now)
    }

    func testAgesAreNeverAClampedZero() throws {
        XCTAssertEqual(Formatting.age(nanoseconds: 0), "<1us")
        XCTAssertEqual(Formatting.age(nanoseconds: 999), "<1us")
        XCTAssertEqual(Formatting.age(nanoseconds: 1_500), "1us")
        XCTAssertEqual(Formatting.age(nanoseconds: nil), "-")
        XCTAssertEqual(Formatting.age(from: 10, to: 5), "-", "an event after 'now' has no known age")
        XCTAssertEqual(Formatting.age(from: 5, to: 5), "<1us")
        XCTAssertEqual(Formatting.age(from: 0, to: 2 * F.second), "2.0s")

        // An op submitted while the read ran, a heartbeat written meanwhile, an alert first
        // seen after the render's clock reading: none of them reads "0ns" or "0s".
        var snapshot = F.snapshot(inFlight: [5: (.submitted, 0)],
                                  responder: F.side(.responder, pid: 101, heartbeat: 0))
        snapshot.submission.pending[0].ageNanoseconds = 0
        let finding = F.finding(.consumerStalled, .critical, "sq", "stuck")
        var log = AlertLog()
        log.update([finding], at: F.now + F.second)
        let grid = render(DashboardInput(name: "r", connection: .live, snapshot: snapshot, alerts: log.ordered),
                          width: 120, height: 40)
        XCTAssertFalse(grid.text.contains("0ns"), grid.text)
        XCTAssertFalse(grid.text.contains("(0s)"), grid.text)
        XCTAssertTrue(grid.text(row: 1).contains("responder 101 alive hb <1us"), grid.text(row: 1))
        XCTAssertTrue(grid.text.contains("at head: op 5#9 opc 2 len 16 <1us"), grid.text)
        let row = try XCTUnwrap(grid.rowContaining("submitted"))
        XCTAssertTrue(grid.text(row: row).contains("<1us"), grid.text(row: row))
        XCTAssertTrue(grid.text.contains("CRIT consumer-stalled stuck (-)"), grid.text)
    }

    func testSparklinesEndWithTheirScale() throws {
        var grid = ScreenGrid(width: 12, height: 1)
        Sparkline.drawWithScale([0, 1, 2, 40], x: 0, y: 0, width: 12, label: { Formatting.count($0) }, glyphs: .ascii,
                                style: .plain, into: &grid)
        XCTAssertTrue(grid.text(row: 0).hasSuffix(" 40"), grid.text(row: 0))
        // Scaled to the window's top (40): the last value is a full bar.
        XCTAssertEqual(grid[8, 0].character, Glyphs.ascii.sparkLevels.last!)

        // 120x40: own rows, "top" spelled out; fill's top is the capacity, rate's the window's highest.
        let tall = render(F.healthyInput(), width: 120, height: 40)
        let fillRow = try XCTUnwrap(tall.rowContaining("│ fill "))
        let halves = tall.text(row: fillRow).split(separator: "│", omittingEmptySubsequences: true)
        XCTAssertTrue(halves[0].hasSuffix(" top 256 "), tall.text(row: fillRow))
        XCTAssertTrue(tall.text(row: fillRow + 1).split(separator: "│")[0].hasSuffix(" top 15.0k/s "), tall.text(row: fillRow + 1))
        // 80x24: one row per queue, the bare figures.
        let small = render(F.healthyInput())
        let row = try XCTUnwrap(small.rowContaining("│ fill "))
        let submission = String(small.text(row: row).split(separator: "│")[0])
        XCTAssertTrue(submission.contains(" 256 rate "), submission)
        XCTAssertTrue(submission.hasSuffix(" 15.0k "), submission)
    }

    func testEndInTheAlertsShowsTheLastPage() throws {
        // Six one-line alerts, three rows in the 80x24 alerts panel.
        let findings = (1...6).map { F.finding(.heartbeatStale, .warning, "side\($0)", "alert number \($0)") }
        var log = AlertLog()
        for (offset, finding) in findings.enumerated() {
            log.update(Array(findings.prefix(offset + 1)), at: F.now - UInt64(10 - offset) * F.second)
        }
        let input = DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(time: F.now), alerts: log.ordered)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        var state = DashboardState()
        state.focus = .alerts
        _ = state.handle(.end)
        let grid = render(input, state)
        let rows = (layout.alerts.y + 1..<layout.alerts.maxY - 1).map { grid.text(row: $0) }
        XCTAssertEqual(rows.count, 3)
        // The last page is the last three entries in display order (incidents worst first;
        // equal ones in the order diagnosis found them).
        let order = log.ordered.map(\.finding.message)
        XCTAssertEqual(order.count, 6)
        XCTAssertTrue(rows[0].contains(order[3]), grid.text)
        XCTAssertTrue(rows[2].contains(order[5]), grid.text)
        XCTAssertTrue(grid.text(row: layout.alerts.maxY - 1).contains("4-6/6"), grid.text)
        // The loop clamps End to the same place, so one Up shows one more entry at the top.
        let limits = DashboardRenderer.scrollLimits(input, state: state, width: 80, height: 24, now: F.now)
        XCTAssertEqual(limits[.alerts], 3)
        state.clampScroll(to: limits)
        _ = state.handle(.up)
        let up = render(input, state)
        XCTAssertTrue(up.text(row: layout.alerts.y + 1).contains(order[2]), up.text)
        XCTAssertTrue(up.text(row: layout.alerts.maxY - 1).contains("3-5/6"), up.text)

        // A wrapped entry takes its rows: the last page then holds fewer entries.
        let long = F.finding(.producerBlocked, .critical, "sq", String(repeating: "word ", count: 30))
        let wrapped = DashboardInput(name: "r", connection: .live, snapshot: F.snapshot(),
                                     alerts: F.alerts([long]) + log.ordered.prefix(1))
        let start = AlertsPanel.lastPageStart(wrapped.alerts, now: F.now, width: 76, rows: 3)
        // 150 characters wrap onto three rows, so with the one-line alert they need four.
        XCTAssertEqual(start, 1, "the last page is the one-line alert alone")
        XCTAssertEqual(AlertsPanel.lastPageStart(wrapped.alerts, now: F.now, width: 76, rows: 4), 0)
    }

    func testRingGoneBannerCoversNoPanelTitle() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            var input = F.healthyInput()
            input.connection = .gone(reason: "/evering-demo was unlinked or replaced")
            let grid = render(input, width: width, height: height)
            let layout = try XCTUnwrap(DashboardLayout(width: width, height: height))
            let row = try XCTUnwrap(grid.rowContaining("RING GONE"))
            XCTAssertEqual(row, layout.footer.y, "the banner replaces the key bar")
            XCTAssertEqual(grid[0, row].style.role, .banner)
            for panel in DashboardPanel.allCases {
                let titleRow = layout.rect(panel).y
                XCTAssertTrue(grid.text(row: titleRow).contains(panel.title), "\(panel.title) hidden at \(width)x\(height):\n\(grid.text)")
            }
            XCTAssertTrue(grid.text(row: 1).contains("responder 101 alive"), "the sides stay visible")
            XCTAssertTrue(grid.text.contains("used 12/256"), grid.text)
        }
    }

    func testHelpExplainsEveryFigureAndFitsWholeAt80x24() throws {
        var state = DashboardState()
        _ = state.handle(.character("h"))
        for source: Snapshot.SourceKind in [.evering, .ioUring] {
            var input = F.healthyInput()
            input.snapshot?.source = source
            let grid = render(input, state)
            let text = grid.text
            XCTAssertTrue(text.contains("[Help]"), text)
            // Every line whole, nothing clipped by the box: keys, figures, and the settings last.
            for (key, action) in HelpOverlay.keys {
                XCTAssertTrue(text.contains(key) && text.contains(action), "\(source): key \(key) '\(action)' missing\n\(text)")
            }
            for (figure, meaning) in HelpOverlay.figures(for: source) {
                let row = try XCTUnwrap(grid.rowContaining(meaning), "\(source): '\(meaning)' cut or missing\n\(text)")
                XCTAssertTrue(grid.text(row: row).contains(figure), grid.text(row: row))
            }
            XCTAssertTrue(text.contains("stall timeout 1.0s"), "\(source): the settings line fits\n\(text)")
        }
        // The figures a user asked about are all there.
        let evering = HelpOverlay.figures(for: .evering).map { $0.0 + " " + $0.1 }.joined(separator: "\n")
        for figure in ["full empty", "peak", "slot#gen", "hb =", "(time since first seen)", "ops/s", "a full bar", "<1us"] {
            XCTAssertTrue(evering.contains(figure), "the help does not explain \(figure)")
        }
        let ioUring = HelpOverlay.figures(for: .ioUring).map { $0.0 + " " + $0.1 }.joined(separator: "\n")
        for figure in ["SQPOLL", "idle", "files bufs", "overflow"] {
            XCTAssertTrue(ioUring.contains(figure), "the io_uring help does not explain \(figure)")
        }
        XCTAssertFalse(ioUring.contains("slot#gen"), "no slot figures for a source without slots")
    }

    /// An io_uring snapshot as the fdinfo reader makes it: queues with entries, one owner, no sides, no slots.
    func ioUringInput(liveness: Liveness = .alive) -> DashboardInput {
        let sqe = QueueEntry(position: 2, opID: 2000, opcode: 0, length: 0, userData: 2000,
                             details: ["opcode": "NOP", "fd": "-1", "user_data": "2000"])
        let cqe = QueueEntry(position: 0, opID: 1000, opcode: 0, length: 0, userData: 1000, details: ["res": "0", "user_data": "1000"])
        let snapshot = Snapshot(source: .ioUring, name: "io_uring:42:7", takenAtMonotonicNanoseconds: F.now,
                                process: ProcessStatus(pid: 42, command: "fio", liveness: liveness),
                                submission: QueueStatus(kind: .submission, head: 2, tail: 5, capacity: 8, pending: [sqe]),
                                completion: QueueStatus(kind: .completion, head: 0, tail: 1, capacity: 16, pending: [cqe]))
        return DashboardInput(name: "io_uring:42:7", connection: .live, snapshot: snapshot, history: F.history(),
                              sourceFacts: [.init("setup SQPOLL"), .init("thread 77 cpu 1 idle 97%"),
                                            .init("overflow 3", needsAttention: true), .init("files 2 bufs 0")])
    }

    func testIOUringHeaderIsFilledAndTheMiddleRowListsPendingEntries() throws {
        let grid = render(ioUringInput())
        XCTAssertTrue(grid.text(row: 0).contains("io_uring:42:7  pid 42 (fio) alive"), grid.text(row: 0))
        XCTAssertTrue(grid.text(row: 1).hasPrefix("setup SQPOLL  thread 77 cpu 1 idle 97%  overflow 3"), grid.text(row: 1))
        XCTAssertTrue(grid.text(row: 1).hasSuffix("15.0k ops/s"), grid.text(row: 1))
        let overflow = try XCTUnwrap(grid.find("overflow 3", row: 1))
        XCTAssertEqual(grid[overflow, 1].style.role, .warning)
        XCTAssertFalse(grid.text.contains("no slot table"), grid.text)
        XCTAssertFalse(grid.text.contains("Driver slots"), grid.text)
        let layout = try XCTUnwrap(DashboardLayout(width: 80, height: 24))
        XCTAssertTrue(grid.text(row: layout.slots.y).contains("Pending entries"), grid.text)
        XCTAssertTrue(grid.text(row: layout.slots.y).contains("SQ 3  CQ 1"), grid.text(row: layout.slots.y))
        XCTAssertTrue(grid.text(row: layout.slots.y + 1).contains("SQ #2  NOP  user_data 2000  fd -1"), grid.text)
        XCTAssertTrue(grid.text(row: layout.slots.y + 2).contains("SQ ... 2 more not read"), grid.text)
        XCTAssertTrue(grid.text(row: layout.slots.y + 3).contains("CQ #0  user_data 1000  res 0"), grid.text)
        // Wider: the registrations fit too.
        XCTAssertTrue(render(ioUringInput(), width: 120, height: 40).text(row: 1).contains("files 2 bufs 0"))

        // An owner that exited is "gone", a warning, not an alarm.
        let gone = render(ioUringInput(liveness: .dead))
        let word = try XCTUnwrap(gone.find("gone", row: 0), gone.text(row: 0))
        XCTAssertEqual(gone[word, 0].style.role, .warning)
    }
}
