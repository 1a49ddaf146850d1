import Evering
import Foundation
import XCTest

/// The dashboard's terminal behaviour in tmux: Esc and q in the help, terminals it cannot
/// drive, and `attach --wait` for a ring created later.
final class DashboardTerminalEndToEndTests: XCTestCase {
    var load: SpawnedProcess?
    var rings: [RingName] = []
    var tmux: TmuxSession?

    override func setUpWithError() throws {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed (scripts/install-deps.sh installs it)") }
    }

    override func tearDown() {
        tmux = nil  // kills the tmux server and with it the dashboard
        load?.stop()
        load = nil
        for ring in rings { try? unlinkRing(ring) }
    }

    func session(term: String = "xterm-256color", label: String) throws -> TmuxSession {
        let session = try TmuxSession(width: 120, height: 40, term: term, label: label)
        tmux = session
        return session
    }

    func testEscClosesTheHelpAtOnceAndQClosesItWithoutQuitting() throws {
        let name = uniqueRingName("help")
        rings.append(name)
        load = try startLoad(name)
        let session = try session(label: "help")
        try session.type("\(everingTopBinary().path) attach \(name.path) -d 0.2; echo EXIT=$?")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("In-flight ops") }, session.screen)

        // Esc: ncurses' default ESCDELAY would hold the key for a full second.
        try session.press("h")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("[Help]") }, session.screen)
        let pressed = Date()
        try session.press("Escape")
        var closedAfter: TimeInterval?
        while Date().timeIntervalSince(pressed) < 5 {
            if !(try session.capture()).contains("[Help]") {
                closedAfter = Date().timeIntervalSince(pressed)
                break
            }
            usleep(10_000)
        }
        let after = try XCTUnwrap(closedAfter, "Esc did not close the help:\n\(session.screen)")
        // Generous for a loaded 2-core machine, yet well short of the 1 s ESCDELAY default.
        XCTAssertLessThan(after, 0.7, "Esc took \(after) s to close the help")

        // q in the help closes the help; the dashboard keeps running.
        try session.press("h")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("[Help]") }, session.screen)
        try session.press("q")
        // Wait for a whole frame (or an exit), not the instant between clearing the help and redrawing.
        let back = try session.waitForScreen { !$0.contains("[Help]") && ($0.contains("In-flight ops") || $0.contains("EXIT=")) }
        XCTAssertNotNil(back, session.screen)
        XCTAssertTrue(back?.contains("In-flight ops") == true, back ?? "")
        XCTAssertFalse(back?.contains("EXIT=") == true, "q in the help quit the dashboard:\n\(back ?? "")")
        // A second q quits.
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, session.screen)
    }

    func testATerminalWithoutCursorAddressingFailsCleanlyPointingToWatchBatch() throws {
        let session = try session(term: "dumb", label: "dumb")
        // With --wait the ring need not exist: the terminal is checked before the wait starts.
        try session.type("\(everingTopBinary().path) attach --wait evt-dash-dumb-\(getpid()); echo EXIT=$?")
        let screen = try XCTUnwrap(try session.waitForScreen { TmuxSession.showsExitStatus($0) }, session.screen)
        let text = screen.replacingOccurrences(of: "\n", with: "")
        XCTAssertTrue(text.contains("evering-top: the dashboard needs a terminal with cursor addressing and TERM=dumb has none"),
                      screen)
        XCTAssertTrue(text.contains("evering-top watch NAME --batch"), screen)
        XCTAssertTrue(screen.contains("EXIT=2"), screen)
        XCTAssertEqual(try session.format("#{alternate_on}"), "0", "never entered curses mode")

        // demo checks before it starts a load, so no ring is left behind either.
        let demoRing = uniqueRingName("dumbdemo")
        rings.append(demoRing)
        try session.type("clear; \(everingTopBinary().path) demo --name \(demoRing.bare); echo EXIT=$?")
        let demo = try XCTUnwrap(try session.waitForScreen { TmuxSession.showsExitStatus($0) }, session.screen)
        XCTAssertTrue(demo.contains("EXIT=2"), demo)
        XCTAssertTrue(demo.contains("cursor addressing"), demo)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/" + demoRing.bare), "demo started no load")
    }

    func testAnUnknownTermFailsCleanly() throws {
        let session = try session(label: "noterm")
        try session.type("TERM=no-such-terminal-type \(everingTopBinary().path) attach --wait x; echo EXIT=$?")
        let screen = try XCTUnwrap(try session.waitForScreen { TmuxSession.showsExitStatus($0) }, session.screen)
        XCTAssertTrue(screen.replacingOccurrences(of: "\n", with: "").contains("TERM=no-such-terminal-type (terminfo does not know it)"),
                      screen)
        XCTAssertTrue(screen.contains("EXIT=2"), screen)
    }

    func testAttachWaitShowsWaitingUntilTheRingIsCreatedAndAcceptsADevShmPath() throws {
        let name = uniqueRingName("wait")
        rings.append(name)
        let session = try session(label: "wait")
        try session.type("\(everingTopBinary().path) attach /dev/shm/\(name.bare) --wait -d 0.2; echo EXIT=$?")
        let waiting = try session.waitForScreen { $0.contains("waiting for ring \(name.path)") }
        XCTAssertNotNil(waiting, session.screen)
        XCTAssertTrue(waiting?.contains("no object named \(name.path)") == true, waiting ?? "")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 16, bufferSize: 64))
        defer { requester.detach() }
        _ = requester.trySubmit(opcode: 3, length: 0)
        let attached = try session.waitForScreen { $0.contains("used 1/16") }
        XCTAssertNotNil(attached, session.screen)
        XCTAssertFalse(attached?.contains("waiting for ring") ?? true)
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, session.screen)
    }

    func testWaitingCanBeLeftWithQAndCtrlC() throws {
        let name = uniqueRingName("waitq")
        let session = try session(label: "waitq")
        let command = "\(everingTopBinary().path) attach \(name.bare) --wait -d 0.2; echo EXIT=$?"
        try session.type(command)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("waiting for ring \(name.path)") }, session.screen)
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, session.screen)
        try session.type("clear; " + command)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("waiting for ring \(name.path)") }, session.screen)
        try session.press("C-c")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=130") }, session.screen)
        XCTAssertEqual(try session.format("#{alternate_on}"), "0")
        // Without --wait a missing ring is still an error, before the terminal is touched.
        try session.type("clear; \(everingTopBinary().path) attach \(name.bare); echo EXIT=$?")
        let missing = try XCTUnwrap(try session.waitForScreen { TmuxSession.showsExitStatus($0) }, session.screen)
        XCTAssertTrue(missing.contains("no ring named \(name.path)"), missing)
    }
}
