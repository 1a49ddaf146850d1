import Evering
import Foundation
import XCTest

/// `evering-top attach` in a real terminal (tmux): live numbers advance, a stalled
/// responder raises the stall alert, q exits and gives the terminal back.
final class DashboardEndToEndTests: XCTestCase {
    var load: SpawnedProcess?
    var ring: RingName?
    var tmux: TmuxSession?

    override func setUpWithError() throws {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed (scripts/install-deps.sh installs it)") }
    }

    override func tearDown() {
        tmux = nil  // kills the tmux server and with it the dashboard
        load?.stop()
        load = nil
        if let ring { try? unlinkRing(ring) }
    }

    func startDashboard(_ name: RingName, flags: String = "-d 0.2", term: String = "xterm-256color",
                        width: Int = 120, height: Int = 40) throws -> TmuxSession {
        let session = try TmuxSession(width: width, height: height, term: term, label: "attach")
        tmux = session
        // ulimit -c 0: the crash test must not leave a core file behind.
        try session.type("ulimit -c 0; \(everingTopBinary().path) attach \(name.path) \(flags); echo EXIT=$?")
        return session
    }

    func testHeadAndTailAdvanceBetweenCaptures() throws {
        let name = uniqueRingName("live")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name)
        let first = try XCTUnwrap(try session.waitForScreen { submissionIndices($0).map { $0.head > 0 } ?? false },
                                  "the dashboard never showed queue indices:\n\(session.screen)")
        let before = try XCTUnwrap(submissionIndices(first))
        let second = try session.waitForScreen { screen in
            guard let now = submissionIndices(screen) else { return false }
            return now.head > before.head && now.tail > before.tail
        }
        XCTAssertNotNil(second, "head/tail did not advance past \(before):\n\(session.screen)")
        if ProcessInfo.processInfo.environment["DASH_SHOW"] != nil { print(second ?? "") }
        XCTAssertTrue(first.contains("responder"), first)
        XCTAssertTrue(first.contains("alive"), first)
        XCTAssertEqual(try session.format("#{alternate_on}"), "1", "the dashboard runs on the alternate screen")
    }

    func testStalledResponderRaisesTheStallAlert() throws {
        let name = uniqueRingName("stall")
        ring = name
        // 32 in flight over a 64-entry queue: the queue stays part full, so this is the
        // consumer-stalled rule (a full queue would be reported as producer-blocked).
        load = try startLoad(name, faults: ["stall-responder@2s"], concurrency: 32)
        let session = try startDashboard(name, flags: "-d 0.2 --stall-timeout 0.5")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("healthy") }, session.screen)
        let stalled = try session.waitForScreen(timeout: 15) { $0.contains("consumer-stalled") }
        XCTAssertNotNil(stalled, "no stall alert:\n\(session.screen)")
        XCTAssertTrue(stalled?.contains("CRIT consumer-stalled") == true || stalled?.contains("WARN consumer-stalled") == true,
                      stalled ?? "")
    }

    func testCrashedResponderShowsDeadPeer() throws {
        let name = uniqueRingName("crash")
        ring = name
        // --keep: the requester leaves the ring behind when it gives up on its dead peer.
        load = try startLoad(name, faults: ["crash-responder@1s"], extra: ["--keep"])
        let session = try startDashboard(name)
        let screen = try session.waitForScreen(timeout: 15) { $0.contains("peer-dead") }
        XCTAssertNotNil(screen, "no peer-dead alert:\n\(session.screen)")
        XCTAssertTrue(screen?.contains("DEAD") == true, screen ?? "")
    }

    func testDemoRunsLoadShowsTheStallAndCleansUpOnQuit() throws {
        let name = uniqueRingName("demo")
        ring = name
        let session = try TmuxSession(width: 120, height: 40, label: "demo")
        tmux = session
        try session.type("\(everingTopBinary().path) demo --name \(name.bare) --rate 20000 -d 0.2 --stall-timeout 0.5 "
                         + "--fault stall-responder@2s; echo EXIT=$?")
        XCTAssertNotNil(try session.waitForScreen(timeout: 20) { $0.contains("In-flight ops") && $0.contains("alive") },
                        session.screen)
        XCTAssertNotNil(try session.waitForScreen(timeout: 20) { $0.contains("consumer-stalled") || $0.contains("producer-blocked") },
                        "the stall-responder fault never showed:\n\(session.screen)")
        try session.press("q")
        let after = try session.waitForScreen(timeout: 20) { TmuxSession.showsExitStatus($0) }
        XCTAssertNotNil(after, session.screen)
        XCTAssertTrue(after?.contains("EXIT=0") == true, after ?? "")
        XCTAssertTrue(after?.contains("pingpong over ring") == true, "the load's summary is printed: \(after ?? "")")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/" + name.bare), "demo removed its ring")
    }

    func testQuitRestoresTheTerminal() throws {
        let name = uniqueRingName("quit")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name, term: "screen")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("In-flight ops") }, session.screen)
        try session.press("q")
        let after = try session.waitForScreen { $0.contains("EXIT=0") }
        XCTAssertNotNil(after, "attach did not exit with 0 after q:\n\(session.screen)")
        XCTAssertEqual(try session.format("#{alternate_on}"), "0", "left the alternate screen")
        XCTAssertEqual(try session.format("#{cursor_flag}"), "1", "cursor visible again")
        // The tty is back in cooked mode with echo: what the shell needs.
        try session.type("stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("icanon echo") }, session.screen)
    }

    func testSigtermRestoresTheTerminalToo() throws {
        let name = uniqueRingName("term")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("In-flight ops") }, session.screen)
        kill(try dashboardPID(session), SIGTERM)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=143") }, session.screen)
        XCTAssertEqual(try session.format("#{alternate_on}"), "0")
    }

    func testACrashStillRestoresTheTerminal() throws {
        let name = uniqueRingName("segv")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("In-flight ops") }, session.screen)
        XCTAssertEqual(try session.format("#{alternate_on}"), "1")
        // What a read of a truncated mapping would do (SIGBUS), sent by hand.
        kill(try dashboardPID(session), SIGBUS)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=135") }, "dies of SIGBUS (128+7):\n\(session.screen)")
        XCTAssertEqual(try session.format("#{alternate_on}"), "0", "left the alternate screen before dying")
        XCTAssertEqual(try session.format("#{cursor_flag}"), "1", "cursor visible again")
    }

    /// The dashboard process: the child of the pane's shell.
    func dashboardPID(_ session: TmuxSession) throws -> Int32 {
        let shell = try session.format("#{pane_pid}")
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        return try XCTUnwrap(children.split(separator: " ").first.flatMap { Int32($0) }, "no child of the shell")
    }

    /// Evidence kept (issue 11): the demo's load never removes the ring on a fault, so a
    /// crashed responder's ring is still there to look at long after the crash; `q` removes it.
    func testDemoKeepsTheRingAfterACrashUntilTheUserQuits() throws {
        let name = uniqueRingName("demo-crash")
        ring = name
        let session = try TmuxSession(width: 120, height: 40, label: "democrash")
        tmux = session
        try session.type("\(everingTopBinary().path) demo --name \(name.bare) --rate 2000 -d 0.2 "
                         + "--fault crash-responder@1s; echo EXIT=$?")
        var observer: RingObserver?
        let crashDeadline = Date().addingTimeInterval(20)
        // Attached and dead: crashed (a side that never attached has no live pid either).
        func crashed() -> Bool { observer?.side(.responder).state == .attached && observer?.side(.responder).identity.liveness.isGone == true }
        while Date() < crashDeadline, !crashed() {
            observer = observer ?? (try? RingObserver(attaching: name))
            usleep(20_000)  // the poll interval; the condition decides
        }
        XCTAssertTrue(crashed(), "the responder never crashed:\n\(session.screen)")
        // A plain load unlinks within about 100 ms of the crash; the demo's must not, and its
        // requester stays attached and alive. Watched for 3 s (the fault's window, not a wait).
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            guard FileManager.default.fileExists(atPath: "/dev/shm/" + name.bare) else {
                return XCTFail("the demo's load removed the ring after the crash:\n\(session.screen)")
            }
            XCTAssertEqual(observer?.side(.requester).state, .attached, "the demo's requester detached")
            usleep(50_000)
        }
        try session.press("q")
        let after = try session.waitForScreen(timeout: 20) { TmuxSession.showsExitStatus($0) }
        XCTAssertTrue(after?.contains("EXIT=0") == true, after ?? session.screen)
        XCTAssertTrue(after?.contains("holding the ring") == true, "the load's log says it held the ring: \(after ?? "")")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/" + name.bare), "demo removed its ring on quit")
    }

    /// Evidence kept (issue 11): in the demo a hung responder stays hung. A plain load
    /// kills it after --hang-timeout (3 s by default) and removes the ring; the demo's load
    /// must do neither while the user watches.
    func testDemoLeavesAHungResponderHungUntilTheUserQuits() throws {
        let name = uniqueRingName("demo-hang")
        ring = name
        let session = try TmuxSession(width: 120, height: 40, label: "demohang")
        tmux = session
        try session.type("\(everingTopBinary().path) demo --name \(name.bare) --rate 2000 -d 0.2 "
                         + "--fault hang-responder@500ms; echo EXIT=$?")
        var observer: RingObserver?
        var responder: Int32 = 0
        func stopped() -> Bool {
            guard let side = observer?.side(.responder), side.state == .attached else { return false }
            responder = side.identity.pid
            return Self.processState(responder) == "T"
        }
        let hangDeadline = Date().addingTimeInterval(20)
        while Date() < hangDeadline, !stopped() {
            observer = observer ?? (try? RingObserver(attaching: name))
            usleep(20_000)  // the poll interval; the condition decides
        }
        XCTAssertTrue(stopped(), "the responder never hung:\n\(session.screen)")
        // Watched past the load's 3 s hang timeout: still there, still stopped, ring linked.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            guard FileManager.default.fileExists(atPath: "/dev/shm/" + name.bare) else {
                return XCTFail("the demo's load removed the ring of a hung responder:\n\(session.screen)")
            }
            guard Self.processState(responder) == "T" else {
                return XCTFail("the demo's hung responder was killed (state \(String(describing: Self.processState(responder))))")
            }
            usleep(50_000)
        }
        try session.press("q")
        let after = try session.waitForScreen(timeout: 20) { TmuxSession.showsExitStatus($0) }
        XCTAssertTrue(after?.contains("EXIT=0") == true, after ?? session.screen)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/" + name.bare), "demo removed its ring on quit")
        XCTAssertNotEqual(Self.processState(responder), "T", "quitting the demo ends the hung responder")
    }

    /// The state letter of /proc/PID/stat (R, S, T, Z...), nil when the process is gone.
    static func processState(_ pid: Int32) -> Character? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].first
    }

    func testMissingRingFailsBeforeTheTerminalIsTouchedAndNamesExistingRings() throws {
        let existing = uniqueRingName("exists")
        ring = existing
        load = try startLoad(existing)
        let session = try startDashboard(try RingName("evt-dash-no-such-ring-\(getpid())"))
        let screen = try session.waitForScreen { TmuxSession.showsExitStatus($0) }
        XCTAssertNotNil(screen, session.screen)
        XCTAssertTrue(screen!.contains("no ring named /evt-dash-no-such-ring"), screen!)
        XCTAssertTrue(screen!.replacingOccurrences(of: "\n", with: "").contains(existing.bare), screen!)
        XCTAssertTrue(screen!.contains("EXIT=2"), "cannot attach is exit 2 in every command: \(screen!)")
        XCTAssertTrue(screen!.contains("evering-top: no ring named"), screen!)
    }

    func testWithoutATerminalItFailsWithAnAlternativeInsteadOfSpinning() throws {
        let name = uniqueRingName("notty")
        ring = name
        load = try startLoad(name)
        // stdin /dev/null, stdout a file: no terminal at all.
        let attach = try SpawnedProcess(["attach", name.bare])
        guard attach.waitForExit(timeout: 10) else {
            attach.stop()
            return XCTFail("attach kept running without a terminal: \(attach.output)")
        }
        XCTAssertEqual(attach.status.map { ($0 >> 8) & 0xff }, 2, attach.output)
        XCTAssertTrue(attach.output.hasPrefix("evering-top: "), attach.output)
        XCTAssertTrue(attach.output.contains("needs a terminal"), attach.output)
        XCTAssertTrue(attach.output.contains("watch NAME --batch"), attach.output)
    }

    func testRunsUnderEachTermAndQuitsCleanly() throws {
        let name = uniqueRingName("terms")
        ring = name
        load = try startLoad(name)
        for term in ["xterm-256color", "xterm", "screen", "linux", "vt100"] {
            let session = try startDashboard(name, term: term, width: 100, height: 30)
            let screen = try session.waitForScreen { $0.contains("In-flight ops") && $0.contains("healthy") }
            XCTAssertNotNil(screen, "TERM=\(term):\n\(session.screen)")
            let colours = hasColourEscapes(try session.capture(escapes: true))
            // vt100 has no colours: the dashboard degrades to attributes only.
            XCTAssertEqual(colours, term != "vt100", "TERM=\(term) colour escapes present: \(colours)")
            try session.press("q")
            XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, "TERM=\(term):\n\(session.screen)")
            XCTAssertEqual(try session.format("#{alternate_on}"), "0", "TERM=\(term)")
        }
    }

    func testNoColorEnvironmentAndAsciiFlag() throws {
        let name = uniqueRingName("nocolor")
        ring = name
        load = try startLoad(name)
        let session = try TmuxSession(width: 100, height: 30, label: "nocolor")
        tmux = session
        try session.type("NO_COLOR=1 \(everingTopBinary().path) attach \(name.path) --ascii -d 0.2; echo EXIT=$?")
        let screen = try session.waitForScreen { $0.contains("In-flight ops") }
        XCTAssertNotNil(screen, session.screen)
        XCTAssertFalse(hasColourEscapes(try session.capture(escapes: true)), "no colour escapes with NO_COLOR")
        XCTAssertTrue(screen!.contains("+ Submission queue"), screen!)
        XCTAssertFalse(screen!.unicodeScalars.contains { $0.value > 0x7f }, "ASCII only:\n\(screen!)")
    }

    func testPauseFreezesTheNumbersAndShowsPaused() throws {
        let name = uniqueRingName("pause")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name, flags: "-d 0.1")
        XCTAssertNotNil(try session.waitForScreen { submissionIndices($0) != nil }, session.screen)
        try session.press("Space")
        let paused = try XCTUnwrap(try session.waitForScreen { $0.contains("PAUSED") }, session.screen)
        // Three refresh intervals later the frame is unchanged (nothing is sampled while paused).
        let frozen = try XCTUnwrap(submissionIndices(paused))
        let later = try XCTUnwrap(try session.waitForScreen(timeout: 0.5) { _ in false } ?? session.capture())
        XCTAssertEqual(submissionIndices(later)?.head, frozen.head, later)
        try session.press("p")
        XCTAssertNotNil(try session.waitForScreen { !$0.contains("PAUSED") && (submissionIndices($0)?.head ?? 0) > frozen.head },
                        session.screen)
    }

    func testUnlinkedRingShowsTheBannerAndKeepsTheLastFrame() throws {
        let name = uniqueRingName("gone")
        ring = name
        load = try startLoad(name, extra: ["--keep"])
        let session = try startDashboard(name)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("healthy") }, session.screen)
        try unlinkRing(name)
        let gone = try session.waitForScreen { $0.contains("RING GONE") }
        XCTAssertNotNil(gone, session.screen)
        XCTAssertTrue(gone?.contains("In-flight ops") == true, gone ?? "")
        // The banner covers no panel title: it sits on the last row, where the key bar was.
        for title in ["Submission queue", "Completion queue", "Driver slots", "Alerts"] {
            XCTAssertTrue(gone?.contains(title) == true, "\(title) hidden:\n\(gone ?? "")")
        }
        XCTAssertTrue(gone?.split(separator: "\n").last?.contains("RING GONE") == true, gone ?? "")
        try session.press("q")
        XCTAssertNotNil(try session.waitForScreen { $0.contains("EXIT=0") }, session.screen)
    }

    func testNotReadyRingShowsWaitingThenAttachesWhenReady() throws {
        let name = uniqueRingName("notready")
        ring = name
        // An object of size 0 is what a creator between shm_open and ftruncate leaves: not ready.
        let fd = shm_open(name.path, O_CREAT | O_EXCL | O_RDWR, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let session = try startDashboard(name)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("waiting for ring \(name.path)") }, session.screen)
        // The creator finishes (here: the object is replaced by a complete ring).
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 16, bufferSize: 64,
                                                                         replaceExisting: true))
        defer { requester.detach() }
        _ = requester.trySubmit(opcode: 3, length: 0)
        let attached = try session.waitForScreen { $0.contains("used 1/16") }
        XCTAssertNotNil(attached, session.screen)
        XCTAssertFalse(attached?.contains("waiting for ring") ?? true)
    }

    func testTooSmallThenResizedRelaysOut() throws {
        let name = uniqueRingName("resize")
        ring = name
        load = try startLoad(name)
        let session = try startDashboard(name, width: 70, height: 20)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("terminal too small") }, session.screen)
        try session.resize(width: 100, height: 30)
        XCTAssertNotNil(try session.waitForScreen { $0.contains("In-flight ops") && !$0.contains("too small") },
                        session.screen)
    }
}
