import Evering
import Foundation
import XCTest

/// Issue 11: each of the six faults of `load --fault`, watched in a real terminal (tmux) by
/// `attach`, sampled several times a second. Each test records the alerts panel over time and
/// asserts on order and content, never exact timings: the first alert names the right root
/// cause, no message blames the wrong side, nothing is marked resolved while its fault
/// persists, and after hang -> kill the hang alerts read superseded.
///
/// The load runs with `--keep` (except crash-responder, which checks the ring-gone frame),
/// so the evidence stays whatever the demo or load do at the end of a run.
final class FaultTimelineEndToEndTests: XCTestCase {
    var load: SpawnedProcess?
    var ring: RingName?
    var tmux: TmuxSession?

    /// The dashboard's stall timeout: the first alert must come within 2x this after the
    /// fault takes hold (plus generous slack for a shared 2-core machine).
    let stallTimeout = 0.5
    let faultAfter = 1.0

    override func setUpWithError() throws {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed (scripts/install-deps.sh installs it)") }
    }

    override func tearDown() {
        tmux = nil
        if let load, load.status == nil {
            // A stopped responder must not outlive the test: the load's child; SIGCONT the group is
            // not ours to do, so stop the load (it stops its responder) and kill if needed.
            load.stop()
        }
        load = nil
        if let ring { try? unlinkRing(ring) }
    }

    /// One capture of the alerts panel: the first line of each alert, trimmed
    /// ("CRIT side-stopped the responder ...", "↳ WARN ...", "-- consumer-stalled superseded by ...").
    struct Frame {
        var elapsed: Double
        var screen: String
        var alerts: [String]
        var header: String
    }

    static func alertStarts(_ screen: String) -> [String] {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let top = lines.firstIndex(where: { $0.contains("Alerts") && ($0.hasPrefix("┌") || $0.hasPrefix("+")) }) else { return [] }
        var starts: [String] = []
        for line in lines[(top + 1)...] {
            if line.hasPrefix("└") { break }
            let inner = line.dropFirst(2)
            let trimmed = inner.trimmingCharacters(in: .whitespaces)
            let isStart = ["CRIT ", "WARN ", "INFO ", "ok ", "-- "].contains { inner.hasPrefix($0) } || trimmed.hasPrefix("↳ ")
            // Runs of spaces squeezed, so "--   rule" reads "-- rule".
            if isStart { starts.append(trimmed.replacingOccurrences(of: "│", with: "").split(separator: " ").joined(separator: " ")) }
        }
        return starts
    }

    /// Starts the load and the dashboard; returns when the dashboard shows the live ring.
    func start(_ label: String, load arguments: [String]) throws -> TmuxSession {
        let name = uniqueRingName(label)
        ring = name
        load = try SpawnedProcess(["load", name.bare, "--replace", "--capacity", "64", "--rate", "20000",
                                   "--duration", "120s"] + arguments)
        guard ringIsReady(name, timeout: 15) else { throw LoadNotReady(message: "no ring: \(load?.output ?? "")") }
        let session = try TmuxSession(width: 140, height: 44, label: "fault")
        tmux = session
        try session.type("ulimit -c 0; \(everingTopBinary().path) attach \(name.path) -d 0.2 --stall-timeout \(stallTimeout); echo EXIT=$?")
        XCTAssertNotNil(try session.waitForScreen(timeout: 15) { $0.contains("In-flight ops") }, session.screen)
        return session
    }

    /// `evering-top demo --fault ...`: the one-command tour a new user runs.
    func startDemo(_ label: String, faults: [String]) throws -> TmuxSession {
        let name = uniqueRingName(label)
        ring = name
        let session = try TmuxSession(width: 140, height: 44, label: "demo")
        tmux = session
        let flags = faults.map { "--fault \($0)" }.joined(separator: " ")
        try session.type("ulimit -c 0; \(everingTopBinary().path) demo --name \(name.bare) \(flags) -d 0.2 --stall-timeout \(stallTimeout); echo EXIT=$?")
        XCTAssertNotNil(try session.waitForScreen(timeout: 20) { $0.contains("In-flight ops") && $0.contains("head ") }, session.screen)
        return session
    }

    /// Captures the screen about every 150 ms for `seconds`, or until `stop` holds for a frame.
    func record(_ session: TmuxSession, seconds: Double, until stop: (Frame) -> Bool = { _ in false }) throws -> [Frame] {
        let started = Date()
        var frames: [Frame] = []
        while Date().timeIntervalSince(started) < seconds {
            let screen = try session.capture()
            let frame = Frame(elapsed: Date().timeIntervalSince(started), screen: screen, alerts: Self.alertStarts(screen),
                              header: String(screen.split(separator: "\n").first ?? ""))
            frames.append(frame)
            if stop(frame) { break }
            usleep(150_000)
        }
        return frames
    }

    /// The first frame with an active alert, and that alert (a root cause: active alerts are
    /// listed root first).
    func firstAlert(_ frames: [Frame]) -> (frame: Frame, alert: String)? {
        for frame in frames {
            if let alert = frame.alerts.first(where: { $0.hasPrefix("CRIT ") || $0.hasPrefix("WARN ") || $0.hasPrefix("INFO ") }) {
                return (frame, alert)
            }
        }
        return nil
    }

    func timeline(_ frames: [Frame]) -> String {
        var last: [String] = []
        var text = ""
        for frame in frames where frame.alerts != last {
            text += String(format: "%5.2fs ", frame.elapsed) + (frame.alerts.isEmpty ? "(none)" : frame.alerts.joined(separator: " | ")) + "\n"
            last = frame.alerts
        }
        return text
    }

    /// Every root-cause line (active, not a symptom) in every frame.
    func rootLines(_ frames: [Frame]) -> [String] {
        frames.flatMap { $0.alerts.filter { $0.hasPrefix("CRIT ") || $0.hasPrefix("WARN ") || $0.hasPrefix("INFO ") } }
    }

    func assertFirstAlert(_ frames: [Frame], rule: String, contains phrase: String, severity: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        guard let (frame, alert) = firstAlert(frames) else {
            XCTFail("no alert at all:\n\(timeline(frames))", file: file, line: line)
            return
        }
        XCTAssertTrue(alert.hasPrefix(rule.isEmpty ? "\(severity) " : "\(severity) \(rule) "), "first alert: \(alert)\n\(timeline(frames))", file: file, line: line)
        XCTAssertTrue(alert.contains(phrase), "first alert: \(alert)\n\(timeline(frames))", file: file, line: line)
        // Fault after 1 s, then 2x the stall timeout; +6 s for a shared 2-core machine.
        XCTAssertLessThan(frame.elapsed, faultAfter + 2 * stallTimeout + 6, timeline(frames), file: file, line: line)
    }

    /// The SQ and CQ heads on a screen (the two queue panels sit side by side: "head N" twice on one row).
    static func heads(_ screen: String) -> [UInt64] {
        guard let row = screen.split(separator: "\n").first(where: { $0.components(separatedBy: "head ").count == 3 }) else { return [] }
        return row.components(separatedBy: "head ").dropFirst().compactMap { UInt64($0.prefix { $0.isNumber }) }
    }

    /// The first alert comes within 2x the stall timeout of the fault taking hold, judged from
    /// the screens: the fault took hold after the last frame in which the stuck queue's head
    /// still moved. Slack for a shared 2-core machine and the 150 ms capture cadence.
    func assertPromptAlert(_ frames: [Frame], queue index: Int, file: StaticString = #filePath, line: UInt = #line) {
        guard let (alertFrame, _) = firstAlert(frames), let final = frames.last.map({ Self.heads($0.screen) }),
              final.count == 2 else {
            XCTFail("no alert or no heads:\n\(timeline(frames))", file: file, line: line)
            return
        }
        let frozen = final[index]
        let moving = frames.last { Self.heads($0.screen).count == 2 && Self.heads($0.screen)[index] != frozen }
        guard let moving else { return }  // stuck before the first capture: the start bound applies
        let delay = alertFrame.elapsed - moving.elapsed
        XCTAssertLessThan(delay, 2 * stallTimeout + 2.5, "first alert \(delay) s after the head stopped\n\(timeline(frames))",
                          file: file, line: line)
    }

    func assertNothingResolved(_ frames: [Frame], file: StaticString = #filePath, line: UInt = #line) {
        let resolved = frames.flatMap(\.alerts).filter { $0.hasPrefix("ok ") && $0.contains(" resolved") }
        XCTAssertEqual(resolved, [], "marked resolved while the fault persists:\n\(timeline(frames))", file: file, line: line)
    }

    // MARK: the six faults

    func testStallResponder() throws {
        let session = try start("stall", load: ["--concurrency", "96", "--fault", "stall-responder@1s", "--keep"])
        let frames = try record(session, seconds: 8) { $0.alerts.contains { $0.hasPrefix("CRIT producer-blocked") } && $0.elapsed > 4 }
        assertFirstAlert(frames, rule: "", contains: "the responder (pid", severity: "CRIT")
        assertPromptAlert(frames, queue: 0)
        let roots = rootLines(frames)
        XCTAssertFalse(roots.isEmpty)
        for root in roots {
            XCTAssertTrue(root.contains("the responder (pid") && root.contains("is alive, its heartbeat fresh"),
                          "the root cause is the responder, alive and beating: \(root)")
            XCTAssertTrue(root.contains("has not taken from the submission queue"), root)
        }
        XCTAssertTrue(frames.flatMap(\.alerts).allSatisfy { !$0.contains("requester (pid") || !$0.hasPrefix("CRIT") || $0.contains("is blocked") },
                      "the requester is never blamed:\n\(timeline(frames))")
        assertNothingResolved(frames)
        XCTAssertTrue(frames.last?.header.contains(" STUCK ") ?? false, frames.last?.header ?? "")
    }

    /// The same two queue faults through `demo --fault`, as a new user sees them.
    func testStallResponderThroughTheDemo() throws {
        let session = try startDemo("dstall", faults: ["stall-responder@1s"])
        let frames = try record(session, seconds: 10) { $0.alerts.contains { $0.hasPrefix("CRIT producer-blocked") } && $0.elapsed > 4 }
        assertFirstAlert(frames, rule: "", contains: "the responder (pid", severity: "CRIT")
        XCTAssertTrue(rootLines(frames).allSatisfy { $0.contains("the responder (pid") && $0.contains("is alive, its heartbeat fresh") },
                      timeline(frames))
        assertNothingResolved(frames)
        XCTAssertTrue(frames.last?.header.contains(" STUCK ") ?? false, frames.last?.header ?? "")
    }

    func testStallRequesterThroughTheDemo() throws {
        let session = try startDemo("dstallreq", faults: ["stall-requester@1s"])
        let frames = try record(session, seconds: 10) { $0.screen.contains("done in CQ") && $0.elapsed > 4 }
        assertFirstAlert(frames, rule: "", contains: "the requester (pid", severity: "CRIT")
        XCTAssertTrue(rootLines(frames).allSatisfy { $0.contains("has not reaped the completion queue") }, timeline(frames))
        XCTAssertFalse(frames.flatMap(\.alerts).contains { $0.contains("has not taken from the submission queue") }, timeline(frames))
        assertNothingResolved(frames)
        XCTAssertTrue(frames.last?.screen.contains("done in CQ") ?? false, frames.last?.screen ?? "")
    }

    func testHangResponderThenKilled() throws {
        // The load kills a hung responder after --hang-timeout: hung (stopped) -> dead.
        let session = try start("hang", load: ["--concurrency", "16", "--fault", "hang-responder@1s",
                                                "--hang-timeout", "3s", "--keep"])
        let frames = try record(session, seconds: 15) { $0.alerts.contains { $0.contains("superseded by peer-dead responder") } }
        // CRIT from the first alert: the kernel says stopped at once.
        assertFirstAlert(frames, rule: "side-stopped", contains: "the responder (pid", severity: "CRIT")
        XCTAssertTrue(firstAlert(frames)?.alert.contains("is stopped (SIGSTOP?)") ?? false, timeline(frames))
        XCTAssertFalse(rootLines(frames).contains { $0.contains("requester (pid") && !$0.contains("responder (pid") },
                       "never the requester's fault:\n\(timeline(frames))")
        // Before the kill, everything under the stopped responder; after it, peer-dead and
        // the hang alerts superseded (never resolved).
        let killed = try XCTUnwrap(frames.firstIndex { $0.alerts.contains { $0.hasPrefix("CRIT peer-dead") } },
                                   "the responder was never reported dead:\n\(timeline(frames))")
        XCTAssertTrue(frames[..<killed].contains { $0.alerts.contains { $0.hasPrefix("CRIT side-stopped") } })
        let last = try XCTUnwrap(frames.last)
        XCTAssertTrue(last.alerts.contains { $0.hasPrefix("-- side-stopped superseded by peer-dead responder") }, timeline(frames))
        XCTAssertTrue(last.alerts.first?.hasPrefix("CRIT peer-dead the responder (pid") ?? false, timeline(frames))
        assertNothingResolved(frames)
        XCTAssertTrue(last.header.contains(" DEAD "), last.header)
    }

    func testCrashResponder() throws {
        // No --keep: the load gives up and unlinks; the last frame stays, with no action on a gone ring.
        let session = try start("crash", load: ["--concurrency", "96", "--fault", "crash-responder@1s"])
        let frames = try record(session, seconds: 12) { $0.screen.contains("RING GONE") }
        assertFirstAlert(frames, rule: "peer-dead", contains: "the responder (pid", severity: "CRIT")
        // "without detaching; its N in-flight op(s) are orphaned" (wrapped onto the next row).
        XCTAssertTrue(firstAlert(frames)?.alert.contains("without detaching") ?? false, timeline(frames))
        XCTAssertTrue(firstAlert(frames)?.frame.screen.contains("orphaned") ?? false, firstAlert(frames)?.frame.screen ?? "")
        XCTAssertFalse(rootLines(frames).contains { $0.contains("the requester (pid") }, timeline(frames))
        assertNothingResolved(frames)
        let last = try XCTUnwrap(frames.last)
        if ProcessInfo.processInfo.environment["FAULT_SHOW"] != nil { print(timeline(frames)); print(last.screen) }
        if last.screen.contains("RING GONE") {
            XCTAssertFalse(last.screen.contains("restart it or unlink"), "no action on a ring that is gone:\n\(last.screen)")
            XCTAssertTrue(last.header.contains(" GONE "), last.header)
        } else {
            XCTAssertTrue(last.header.contains(" DEAD "), last.header)
        }
    }

    func testStallRequester() throws {
        let session = try start("stallreq", load: ["--concurrency", "96", "--fault", "stall-requester@1s", "--keep"])
        let frames = try record(session, seconds: 8) { $0.alerts.contains { $0.hasPrefix("CRIT producer-blocked cq") || $0.hasPrefix("CRIT producer-blocked the requester") } && $0.elapsed > 4 }
        assertFirstAlert(frames, rule: "", contains: "the requester (pid", severity: "CRIT")
        assertPromptAlert(frames, queue: 1)
        for root in rootLines(frames) {
            XCTAssertTrue(root.contains("has not reaped the completion queue"), "root: \(root)\n\(timeline(frames))")
        }
        XCTAssertFalse(frames.flatMap(\.alerts).contains { $0.contains("has not taken from the submission queue") },
                       "the responder is never said to be not taking:\n\(timeline(frames))")
        assertNothingResolved(frames)
        let last = try XCTUnwrap(frames.last)
        XCTAssertTrue(last.screen.contains("done in CQ"), "completions waiting in the CQ are shown as such:\n\(last.screen)")
        XCTAssertTrue(last.screen.contains("in CQ "), "legend:\n\(last.screen)")
        XCTAssertTrue(last.header.contains(" STUCK "), last.header)
    }

    func testLeakCancel() throws {
        let session = try start("leak", load: ["--concurrency", "8", "--fault", "leak-cancel=3", "--keep"])
        let frames = try record(session, seconds: 8) { $0.alerts.contains { $0.hasPrefix("WARN leaked-cancellations") } && $0.elapsed > 3 }
        assertFirstAlert(frames, rule: "leaked-cancellations", contains: "3 cancelled op(s)", severity: "WARN")
        XCTAssertFalse(rootLines(frames).contains { !$0.hasPrefix("WARN leaked-cancellations") }, timeline(frames))
        assertNothingResolved(frames)
        XCTAssertTrue(frames.last?.header.contains(" DEGRADED ") ?? false, frames.last?.header ?? "")
    }

    func testSlowResponderWellBelowTheStallTimeoutIsQuiet() throws {
        let session = try start("slow", load: ["--concurrency", "8", "--fault", "slow-responder=200us", "--keep"])
        let frames = try record(session, seconds: 4)
        XCTAssertGreaterThan(frames.count, 10, "sampled several times a second")
        XCTAssertNil(firstAlert(frames), "no finding at all:\n\(timeline(frames))")
        XCTAssertTrue(frames.dropFirst(3).allSatisfy { $0.header.contains(" OK ") }, frames.last?.header ?? "")
        XCTAssertTrue(frames.last?.screen.contains("healthy") ?? false, frames.last?.screen ?? "")
    }
}
