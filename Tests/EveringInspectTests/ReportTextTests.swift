import XCTest
@testable import EveringInspect

/// The text renderings, over hand-built reports (no ring, no terminal).
final class ReportTextTests: XCTestCase {
    typealias T = TestSnapshots

    func testDumpShowsEverySectionAndFindings() {
        var snapshot = T.busy(sq: (10, 40), inFlight: 2, age: 2 * T.second)
        snapshot.isStillLinked = false
        let report = InspectReport(snapshot: snapshot, findings: Diagnosis.diagnose(snapshot), thresholds: .default)
        let text = ReportText.dump(report)
        XCTAssertTrue(text.hasPrefix("ring /test (evering ABI 1.0, 1.0 MiB, created by pid 4242, refcount 2)  [UNLINKED]"), text)
        XCTAssertTrue(text.contains("requester pid 4242 alive, attached, heartbeat 10ms ago"), text)
        XCTAssertTrue(text.contains("sq        head 10 tail 40 used 30/16 OVERFULL"), text)
        XCTAssertTrue(text.contains("at 10: op 0#7 opcode 3 length 16 -> slot submitted, submitted 2.0s ago"), text)
        XCTAssertTrue(text.contains("slots     64: free 62 submitted 2"), text)
        XCTAssertTrue(text.contains("CRIT     corruption"), text)
        XCTAssertTrue(text.contains("WARN     ring-gone"), text)
        XCTAssertTrue(text.contains("status    GONE"), text)
    }

    func testHealthyDumpSaysSo() {
        let report = InspectReport(snapshot: T.busy(inFlight: 0), findings: [], thresholds: .default)
        XCTAssertTrue(ReportText.dump(report).hasSuffix("status    OK\nincidents none"), ReportText.dump(report))
    }

    func testWatchLineHasRatesAndFindings() {
        let rates = Rates(intervalSeconds: 1, submissionEnqueuesPerSecond: 1_234_567, submissionDequeuesPerSecond: 12_345,
                          completionEnqueuesPerSecond: 999, completionDequeuesPerSecond: 0)
        let finding = Finding(rule: .heartbeatStale, severity: .warning, subject: "responder", message: "m")
        let line = ReportText.watchLine(InspectReport(snapshot: T.busy(), rates: rates, findings: [finding], thresholds: .default),
                                        elapsed: 2.25)
        XCTAssertTrue(line.hasPrefix("2.3       4/16"), line)
        XCTAssertTrue(line.contains("1.2M"), line)
        XCTAssertTrue(line.contains("12.3k"), line)
        XCTAssertTrue(line.contains(" 999  "), line)
        XCTAssertTrue(line.hasSuffix("warning:heartbeat-stale"), line)
    }

    func testListLinesForRingsAndForeignObjects() {
        var ring = RingListing(name: "/demo", kind: .evering, status: .dead)
        ring.sizeBytes = 2 << 20
        ring.owner = "alice"
        ring.requesterPID = 10
        ring.requesterLiveness = .alive
        ring.responderPID = 11
        ring.responderLiveness = .dead
        ring.submissionUsed = 3
        ring.submissionCapacity = 64
        ring.findings = [Finding(rule: .peerDead, severity: .critical, subject: "responder", message: "m", culprit: .responder)]
        ring.incidents = Incident.group(ring.findings ?? [])
        var junk = RingListing(name: "/junk", kind: .notEvering, status: .notEvering)
        junk.reason = "not an evering ring"
        var broken = RingListing(name: "/broken", kind: .unreadable, status: .unreadable)
        broken.reason = "/broken is truncated"
        let lines = ReportText.list([ring, junk, broken]).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[1].contains("2.0 MiB") && lines[1].contains("alice") && lines[1].contains("10 alive")
                      && lines[1].contains("11 dead") && lines[1].contains("3/64") && lines[1].hasSuffix("DEAD      peer-dead responder"), String(lines[1]))
        XCTAssertTrue(lines[2].hasSuffix("not evering"), String(lines[2]))
        XCTAssertTrue(lines[3].hasSuffix("UNREADABLE  (/broken is truncated)"), String(lines[3]))
    }

    /// The status word in colour (when the command's stdout is a terminal): the dashboard's colours.
    func testStatusWordColours() {
        XCTAssertEqual(ReportText.statusWord(.stuck, color: false), "STUCK")
        XCTAssertEqual(ReportText.statusWord(.ok, color: true), "\u{1b}[1;32mOK\u{1b}[0m")
        XCTAssertEqual(ReportText.statusWord(.dead, color: true), "\u{1b}[1;31mDEAD\u{1b}[0m")
        XCTAssertEqual(ReportText.statusWord(.stale, color: true), "\u{1b}[1;33mSTALE\u{1b}[0m")
        let report = InspectReport(snapshot: T.busy(inFlight: 0), findings: [], thresholds: .default)
        let plain = ReportText.watchLine(report, elapsed: 1)
        let coloured = ReportText.watchLine(report, elapsed: 1, color: true)
        XCTAssertEqual(coloured.replacingOccurrences(of: "\u{1b}[1;32m", with: "").replacingOccurrences(of: "\u{1b}[0m", with: ""),
                       plain, "colour changes no column")
    }

    func testNumberFormatting() {
        // The text reports print figures with the dashboard's formatter, not one of their own.
        XCTAssertEqual(ReportText.compact(999), "999")
        XCTAssertEqual(ReportText.compact(25_000), "25.0k")
        XCTAssertEqual(ReportText.compact(3_450_000), "3.5M")
        XCTAssertEqual(ReportText.bytes(512), "512 B")
        XCTAssertEqual(ReportText.bytes(1536), "1.5 KiB")
        XCTAssertEqual(ReportText.duration(1_500), "1us")
        XCTAssertEqual(ReportText.duration(2_500_000_000), "2.5s")
        for value in [0.0, 999, 25_000, 3_450_000] { XCTAssertEqual(ReportText.compact(value), Formatting.count(value)) }
        for ns: UInt64 in [850, 1_500, 3_400_000, 66_000_000, 2_500_000_000] {
            XCTAssertEqual(ReportText.duration(ns), Formatting.duration(nanoseconds: ns))
            XCTAssertEqual(Diagnosis.format(seconds: Double(ns) / 1e9), Formatting.duration(nanoseconds: ns))
        }
        XCTAssertEqual(Formatting.decimal(-0.5), "-0.5")
        XCTAssertEqual(Formatting.decimal(-12.34), "-12.3")
        XCTAssertEqual(Formatting.decimal(0.04), "0.0")
    }
}
