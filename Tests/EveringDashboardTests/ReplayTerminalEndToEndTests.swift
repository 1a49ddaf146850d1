import EveringDashboard
import EveringInspect
import EveringRecording
import Foundation
import XCTest

/// `evering-top replay FILE` in a real terminal (tmux): seek, speed, jump to the first
/// finding, and at `--at T` the screen shows what `dump FILE --at T` prints.
final class ReplayTerminalEndToEndTests: XCTestCase {
    var path = ""

    override func setUpWithError() throws {
        try XCTSkipIf(TmuxSession.tmuxPath == nil, "tmux not installed")
        path = NSTemporaryDirectory() + "replay-e2e-\(getpid())-\(UUID().uuidString.prefix(6)).evrec"
        try ReplayFixture.write(to: path)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    func start(_ session: TmuxSession, _ extra: String = "") throws {
        try session.type("\(everingTopBinary().path) replay \(path) --paused \(extra)")
    }

    /// Waits for `condition`; on a timeout fails with the screen (printable ASCII only,
    /// so the message survives any terminal bytes).
    @discardableResult
    func expectScreen(_ session: TmuxSession, _ what: String, timeout: TimeInterval = 10, line: UInt = #line,
                      _ condition: (String) -> Bool) throws -> String {
        if let screen = try session.waitForScreen(timeout: timeout, condition) { return screen }
        let screen = String(session.screen.unicodeScalars.map { $0.isASCII && ($0.value >= 32 || $0 == "\n") ? Character($0) : "?" })
        XCTFail("\(what) not shown; screen:\n\(screen)", line: line)
        throw StateNotShown()
    }

    struct StateNotShown: Error {}

    /// The timeline's "+S.SSSs/" figure.
    func playhead(_ screen: String) -> Double? {
        screen.firstMatch(of: /\|[|>] ([+-][0-9.]+)s\//).flatMap { Double($0.1) }
    }

    func testSeekSpeedFirstFindingAndEnd() throws {
        let session = try TmuxSession(label: "replay")
        try start(session)
        // Header and timeline both drawn (a capture can fall between two writes of one frame).
        let first = try expectScreen(session, "REPLAY 2023-11-14 22:13:20.000 UTC at +0.000s") {
            $0.contains("REPLAY 2023-11-14 22:13:20.000 UTC") && self.playhead($0) == 0
        }
        XCTAssertTrue(first.contains(" OK "), first)

        try session.press("g")
        let atFinding = try expectScreen(session, "playhead at 12") { self.playhead($0) == 12 }
        XCTAssertTrue(atFinding.contains(" STUCK "), atFinding)
        XCTAssertTrue(atFinding.contains("has not taken from the submission queue"), atFinding)

        try session.press("[")
        try expectScreen(session, "playhead at 2") { self.playhead($0) == 2 }
        try session.press("]")
        try expectScreen(session, "playhead at 12") { self.playhead($0) == 12 }
        try session.press("Right")
        try expectScreen(session, "playhead at 12.1") { self.playhead($0) == 12.1 }
        try session.press("Left")
        try session.press("Left")
        try expectScreen(session, "playhead at 11.9") { self.playhead($0) == 11.9 }
        try session.press("G")
        try expectScreen(session, "playhead at 19.9") { self.playhead($0) == 19.9 }

        try session.press("+")
        try session.press("+")
        try expectScreen(session, " ×4 ") { $0.contains(" ×4 ") }
        for _ in 0..<4 { try session.press("-") }
        try expectScreen(session, " ×0.25 ") { $0.contains(" ×0.25 ") }
        for _ in 0..<6 { try session.press("+") }
        try expectScreen(session, " ×16 ") { $0.contains(" ×16 ") }

        // Play from the start at ×16: the playhead moves on its own, and stops at the end.
        try session.press("[")
        try session.press("[")
        try expectScreen(session, "playhead at 0") { self.playhead($0) == 0 }
        try session.press("Space")
        try expectScreen(session, "playhead past 1 s", timeout: 15) { (self.playhead($0) ?? 0) > 1 }
        try expectScreen(session, "playhead at 19.9 and PAUSED", timeout: 15) { self.playhead($0) == 19.9 && $0.contains("PAUSED") }
        try session.press("q")
        try expectScreen(session, "$  and not REPLAY") { $0.contains("$ ") && !$0.contains("REPLAY") }
    }

    /// `replay --at T` and `dump FILE --at T` agree on head, tail, used, status and findings.
    func testScreenAtTMatchesDumpAtT() throws {
        for at in ["5s", "12.5s", "19s"] {
            let session = try TmuxSession(label: "replay-at")
            try start(session, "--at \(at)")
            let screen = try expectScreen(session, "REPLAY and the timeline") { $0.contains("REPLAY") && self.playhead($0) != nil }
            let dump = try runTool(["dump", path, "--at", at, "--json"])
            let report = try InspectJSON.decode(InspectReport.self, from: dump)
            let sq = report.snapshot.submission
            XCTAssertTrue(screen.contains("head \(sq.head)  tail \(sq.tail)"), "\(at): \(screen)")
            XCTAssertTrue(screen.contains("used \(sq.used)/\(sq.capacity)"), "\(at): \(screen)")
            XCTAssertTrue(screen.contains(" \(report.status.rawValue) "), "\(at): \(report.status) \(screen)")
            for finding in report.findings {
                XCTAssertTrue(screen.contains(String(finding.message.prefix(40))), "\(at): \(finding.message) \(screen)")
            }
            if report.findings.isEmpty { XCTAssertTrue(screen.contains("no findings"), screen) }
        }
    }

    func runTool(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = everingTopBinary()
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }
}

/// The same 20 s stall as the recording tests' `stallAt12s` (10 Hz; the head stops at
/// 11.0 s, the recorder reports it from 12.0 s).
enum ReplayFixture {
    static func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
    }

    static func bytes() -> [UInt8] {
        let interval: UInt64 = 100_000_000
        let start: UInt64 = 5_000_000_000
        var encoder = RecordingEncoder(intervalNanoseconds: interval)
        let header = RecordingHeader(ring: "/replay-fixture", intervalNanoseconds: interval, keyframeIntervalNanoseconds: 10_000_000_000,
                                     startedMonotonicNanoseconds: start, startedRealtimeNanoseconds: 1_700_000_000_000_000_000,
                                     stallTimeoutSeconds: 1)
        var bytes = RecordingFormat.magic + encoder.header(header)
        for i in 0..<200 {
            let now = start + UInt64(i) * interval
            let moving = i < 110
            let head = UInt64(moving ? i * 7 : 110 * 7)
            let tail = head + UInt64(moving ? i % 5 : 3)
            let busy = (0..<UInt32(tail - head)).map { k in
                SlotTable.Record(index: k, state: .submitted, rawState: 1, generation: UInt32(head) + k, opcode: 1, length: 16,
                                 ageNanoseconds: moving ? 1_000 : UInt64(i - 110) * interval)
            }
            let snapshot = Snapshot(source: .evering, name: "/replay-fixture", takenAtMonotonicNanoseconds: now,
                                    takenAtRealtimeNanoseconds: 1_700_000_000_000_000_000 + UInt64(i) * interval,
                                    submission: QueueStatus(kind: .submission, head: head, tail: tail, capacity: 64),
                                    completion: QueueStatus(kind: .completion, head: head, tail: head, capacity: 64),
                                    slots: SlotTable(slotCount: 64, counts: SlotTable.Counts(free: 64 - busy.count, submitted: busy.count), busy: busy))
            var findings: [Finding] = []
            if i >= 120 {
                let stalled = Double(i - 110) / 10
                findings = [Finding(rule: .consumerStalled, severity: .critical, subject: "sq",
                                    message: "the responder (pid 42) has not taken from the submission queue for \(stalled)s",
                                    evidence: ["stalledSeconds": stalled, "used": 3], culprit: .responder)]
            }
            bytes += encoder.frame(snapshot, status: findings.isEmpty ? .ok : .stuck, findings: findings).bytes
        }
        bytes += encoder.end(RecordingEnd(reason: .duration, monotonicNanoseconds: start + 200 * interval, samples: 200))
        return bytes
    }
}
