import EveringInspect
import Foundation
import XCTest

/// The boundary case through the binary, 50 times: a submission queue full (and its head
/// unmoving) for the whole `check` window is `producer-blocked sq` every time, never
/// `consumer-stalled`.
final class BoundaryCheckEndToEndTests: EndToEndTestCase {
    func testCheckOnAQueueFullForTheWholeWindowGivesOneDiagnosisFiftyTimes() throws {
        let name = try uniqueName("boundary")
        let load = try startLoad(name, ["--fault", "stall-responder@200ms", "--capacity", "16", "--concurrency", "64"])
        try waitForState(name, load, "SQ full, head op waiting 0.5 s") { s in
            s.submission.used == 16 && (s.submission.pending.first?.ageNanoseconds ?? 0) >= 500_000_000
                && s.responder?.liveness == .alive
        }
        var diagnoses: [String: Int] = [:]
        for _ in 0..<50 {
            // The shortest window check accepts well: the stall timeout is the whole window.
            let output = try Tool.run(["check", name, "--json", "--stall-timeout", "0.2"])
            XCTAssertEqual(output.status, 1, output.stderr)
            let report = try InspectJSON.decode(InspectReport.self, from: output.stdout)
            diagnoses[report.findings.map(\.key).sorted().joined(separator: ",") + " " + report.status.rawValue, default: 0] += 1
        }
        XCTAssertEqual(diagnoses, ["producer-blocked sq STUCK": 50], "the same diagnosis every time")
    }
}
