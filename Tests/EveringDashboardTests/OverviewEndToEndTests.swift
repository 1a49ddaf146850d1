import Evering
import Foundation
import XCTest

/// `evering-top` (the overview) in a real terminal (tmux): rings created and removed during
/// the run appear and disappear; sort, filter, drill-in and back work; a stalled ring shows
/// STUCK. Other rings may exist on the machine, so each test filters on its own prefix.
final class OverviewEndToEndTests: XCTestCase {
    var requesters: [Requester] = []
    var rings: [RingName] = []
    var load: SpawnedProcess?
    var tmux: TmuxSession?

    override func setUpWithError() throws {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed (scripts/install-deps.sh installs it)") }
    }

    override func tearDown() {
        tmux = nil  // kills the tmux server and with it the overview
        load?.stop()
        load = nil
        for requester in requesters { requester.detach() }
        requesters = []
        for ring in rings { try? unlinkRing(ring) }
    }

    /// A prefix no other test or helper uses.
    func uniquePrefix(_ label: String) -> String { "evt-ov-\(label)-\(getpid())-\(UUID().uuidString.prefix(6))" }

    /// A ring held open in this process by a requester (so its requester is alive).
    @discardableResult
    func makeRing(_ bare: String) throws -> RingName {
        let name = try RingName(bare)
        rings.append(name)
        requesters.append(try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: 64, slotCount: 16, bufferSize: 64, replaceExisting: true)))
        return name
    }

    func removeRing(_ name: RingName) throws {
        if let index = rings.firstIndex(of: name) {
            requesters[index].detach()
            requesters.remove(at: index)
            rings.remove(at: index)
        }
        try unlinkRing(name)
    }

    /// Starts the overview (no subcommand) and filters it to `prefix`.
    func startOverview(filter prefix: String, flags: String = "-d 0.2") throws -> TmuxSession {
        let session = try TmuxSession(width: 120, height: 40, label: "overview")
        tmux = session
        try session.type("\(everingTopBinary().path) \(flags); echo EXIT=$?")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("NAME") && $0.contains("STATUS") },
                        "the overview never drew its table:\n\(session.screen)")
        try session.press("/")
        try session.run(["send-keys", "-t", session.target, "-l", prefix])
        try session.press("Enter")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("filter: \(prefix)") }, session.screen)
        return session
    }

    /// The table lines (below the column header) that name a ring, top to bottom.
    func ringLines(_ screen: String, prefix: String) -> [String] {
        screen.split(separator: "\n").map(String.init).filter { $0.hasPrefix("/" + prefix) }
    }

    func testRingsCreatedAndRemovedDuringTheRunAppearAndDisappear() throws {
        let prefix = uniquePrefix("live")
        let session = try startOverview(filter: prefix)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("no ring matches") }, session.screen)
        let first = try makeRing(prefix + "-one")
        XCTAssertNotNil(try session.waitForScreen { self.ringLines($0, prefix: prefix).count == 1 },
                        "a new ring did not appear:\n\(session.screen)")
        try makeRing(prefix + "-two")
        let both = try XCTUnwrap(try session.waitForScreen { self.ringLines($0, prefix: prefix).count == 2 },
                                 "the second ring did not appear:\n\(session.screen)")
        let line = try XCTUnwrap(ringLines(both, prefix: prefix).first)
        XCTAssertTrue(line.contains("\(getpid()) alive"), "its requester is this process, alive: \(line)")
        XCTAssertTrue(line.contains("OK"), line)
        try removeRing(first)
        let after = try XCTUnwrap(try session.waitForScreen { screen in
            let lines = self.ringLines(screen, prefix: prefix)
            return lines.count == 1 && lines[0].hasPrefix(first.path + " ") == false
        }, "the removed ring did not disappear:\n\(session.screen)")
        XCTAssertTrue(after.contains(prefix + "-two"), after)
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, "q did not quit:\n\(session.screen)")
    }

    func testSortFilterDrillInAndBackKeepTheCursor() throws {
        let prefix = uniquePrefix("nav")
        for suffix in ["a", "b", "c"] { try makeRing("\(prefix)-\(suffix)") }
        let session = try startOverview(filter: prefix)
        let sorted = try XCTUnwrap(try session.waitForScreen { self.ringLines($0, prefix: prefix).count == 3 },
                                   session.screen)
        XCTAssertEqual(ringLines(sorted, prefix: prefix).map { String($0.prefix(prefix.count + 3)) },
                       ["/\(prefix)-a", "/\(prefix)-b", "/\(prefix)-c"], "sorted by name")
        try session.press("I")
        XCTAssertNotNil(try session.waitForScreen { screen in
            self.ringLines(screen, prefix: prefix).first?.hasPrefix("/\(prefix)-c") == true
        }, "I did not invert the order:\n\(session.screen)")
        // Cursor to the top (-c), then down one: -b. Enter opens its dashboard. (Not Home:
        // tmux sends it as ESC [1~, which TERM=xterm-256color's terminfo does not list.)
        try session.press("Up")
        try session.press("Up")
        try session.press("Up")
        try session.press("Down")
        try session.press("Enter")
        let dashboard = try session.waitForScreen { $0.contains("Submission queue") && $0.contains("/\(prefix)-b") }
        XCTAssertNotNil(dashboard, "Enter did not open the ring's dashboard:\n\(session.screen)")
        // Esc first closes the help, then goes back.
        try session.press("h")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("Help") }, session.screen)
        try session.press("Escape")
        XCTAssertNotNil(try session.waitForScreen { !$0.contains("[Help]") && $0.contains("Submission queue") },
                        "Esc did not close the help:\n\(session.screen)")
        try session.press("Escape")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("STATUS") && !$0.contains("Submission queue") },
                        "Esc did not come back to the overview:\n\(session.screen)")
        // The cursor is still on -b: Enter opens it again; Backspace comes back too.
        try session.press("Enter")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("Submission queue") && $0.contains("/\(prefix)-b") },
                        "the cursor was not kept on the ring:\n\(session.screen)")
        try session.press("BSpace")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("STATUS") && !$0.contains("Submission queue") },
                        session.screen)
        // q in a drilled-in dashboard quits the program.
        try session.press("Enter")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("Submission queue") }, session.screen)
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, "q did not quit:\n\(session.screen)")
    }

    func testStalledRingShowsStuckAndSortsToTheTop() throws {
        let prefix = uniquePrefix("stuck")
        try makeRing(prefix + "-a-healthy")
        let stalled = try RingName(prefix + "-z-stalled")
        rings.append(stalled)
        load = try startLoad(stalled, faults: ["stall-responder@1s"], concurrency: 32)
        let session = try startOverview(filter: prefix, flags: "-d 0.2 --stall-timeout 0.5")
        let stuck = try session.waitForScreen(timeout: 20) { screen in
            self.ringLines(screen, prefix: prefix).contains { $0.hasPrefix(stalled.path) && $0.contains("STUCK") }
        }
        XCTAssertNotNil(stuck, "the stalled ring never showed STUCK:\n\(session.screen)")
        // The title counts STUCK rings over the whole machine, filter or not (other tests' too).
        XCTAssertTrue(stuck?.split(separator: "\n").first?.contains(" STUCK") == true, "the title counts it: \(stuck ?? "")")
        XCTAssertEqual(ringLines(stuck ?? "", prefix: prefix).first.map { $0.hasPrefix("/\(prefix)-a") }, true,
                       "by name the healthy ring is first")
        // Sort by status (> from NAME): the worst first.
        try session.press(">")
        XCTAssertNotNil(try session.waitForScreen { screen in
            screen.contains("STATUS▼") && self.ringLines(screen, prefix: prefix).first?.hasPrefix(stalled.path) == true
        }, "sorting by status did not put the STUCK ring on top:\n\(session.screen)")
    }

    /// A first-button click as an xterm sends it (SGR 1006: 1-based column and row, press
    /// then release), typed into the pane as the terminal would.
    func click(_ session: TmuxSession, column: Int, row: Int) throws {
        try session.run(["send-keys", "-t", session.target, "-l", "\u{1b}[<0;\(column + 1);\(row + 1)M"])
        try session.run(["send-keys", "-t", session.target, "-l", "\u{1b}[<0;\(column + 1);\(row + 1)m"])
    }

    func testMouseClicksSortByAHeaderAndSelectARow() throws {
        let prefix = uniquePrefix("mouse")
        for suffix in ["a", "b", "c"] { try makeRing("\(prefix)-\(suffix)") }
        let session = try startOverview(filter: prefix)
        let screen = try XCTUnwrap(try session.waitForScreen { self.ringLines($0, prefix: prefix).count == 3 }, session.screen)
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headerRow = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("NAME") })
        let ownerColumn = try XCTUnwrap(lines[headerRow].range(of: "OWNER")).lowerBound.utf16Offset(in: lines[headerRow])
        try click(session, column: ownerColumn + 1, row: headerRow)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("sort: OWNER") }, "a header click did not sort:\n\(session.screen)")
        try click(session, column: 1, row: headerRow)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("sort: NAME") }, session.screen)
        // The third ring's row, then Enter: its dashboard.
        let thirdRow = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("/\(prefix)-c") })
        try click(session, column: 3, row: thirdRow)
        try session.press("Enter")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("Submission queue") && $0.contains("/\(prefix)-c") },
                        "a row click did not select the ring:\n\(session.screen)")
    }

    /// Without a terminal the overview fails as attach does (exit 2, one line), pointing at
    /// `list`; `--help` still prints the commands.
    func testWithoutATerminalItSaysWhatToUseInstead() throws {
        let overview = try SpawnedProcess([])
        XCTAssertTrue(overview.waitForExit(timeout: 20), "it did not exit")
        XCTAssertEqual(overview.status.map { ($0 >> 8) & 0xff }, 2, overview.output)
        XCTAssertTrue(overview.output.hasPrefix("evering-top: "), overview.output)
        XCTAssertTrue(overview.output.contains("evering-top list"), overview.output)
        let help = try SpawnedProcess(["--help"])
        XCTAssertTrue(help.waitForExit(timeout: 20))
        XCTAssertEqual(help.status.map { ($0 >> 8) & 0xff }, 0)
        XCTAssertTrue(help.output.contains("top (default)"), help.output)
    }
}
