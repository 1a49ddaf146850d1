import EveringInspect
import Foundation
import XCTest

/// The headless view of an incident over time: `watch --batch --json` lines parsed back,
/// with their status word, incidents and alert lifecycle (docs/INSPECT-JSON.md).
final class AlertLifecycleEndToEndTests: EndToEndTestCase {
    /// hang-responder, then the load kills the hung responder after --hang-timeout:
    /// stopped -> dead. The hang alerts end *superseded* by the death, never resolved.
    func testHangThenKillReadsSupersededInWatchJSON() throws {
        let name = try uniqueName("lifecycle")
        let load = try startLoad(name, ["--fault", "hang-responder@500ms", "--hang-timeout", "2s",
                                        "--capacity", "16", "--concurrency", "4"])
        try waitForState(name, load, "the ring running") { $0.responder?.state == .attached }
        let output = try Tool.run(["watch", name, "--batch", "--json", "-d", "0.2", "-n", "45", "--stall-timeout", "0.5"],
                                  timeout: 40)
        XCTAssertEqual(output.status, 0, output.stderr)
        let reports = try output.stdout.split(separator: "\n").map { try InspectJSON.decode(InspectReport.self, from: String($0)) }
        XCTAssertEqual(reports.count, 45)
        let story = reports.map { r in
            "\(r.status.rawValue): " + (r.alerts ?? []).map { "\($0.finding.key)=\($0.lifecycle.rawValue)" }.joined(separator: ", ")
        }.joined(separator: "\n")

        // Stopped first, a critical root cause from its first report; then dead.
        let stopped = try XCTUnwrap(reports.firstIndex { $0.incidents.first?.id == "side-stopped responder" }, story)
        XCTAssertEqual(reports[stopped].incidents.first?.severity, .critical)
        XCTAssertEqual(reports[stopped].status, .stuck)
        let dead = try XCTUnwrap(reports.firstIndex { $0.incidents.first?.id == "peer-dead responder" }, story)
        XCTAssertLessThan(stopped, dead, story)
        XCTAssertEqual(reports[dead].status, .dead)
        // Before the death every report blames the responder only.
        for report in reports[stopped..<dead] {
            XCTAssertTrue(report.incidents.allSatisfy { $0.culprit == .responder }, story)
        }
        // After it, the hang alerts are superseded by the death; nothing ever reads resolved.
        let last = try XCTUnwrap(reports.last?.alerts)
        let hang = try XCTUnwrap(last.first { $0.finding.key == "side-stopped responder" }, story)
        XCTAssertEqual(hang.lifecycle, .superseded, story)
        XCTAssertEqual(hang.supersededBy, "peer-dead responder")
        XCTAssertFalse(reports.contains { ($0.alerts ?? []).contains { $0.lifecycle == .resolved } }, story)
    }
}
