@testable import EveringInspect
import XCTest

/// Issue 11: "check on a submission queue full for the whole window once reported
/// consumer-stalled instead of producer-blocked": the full-duration test passed by 0.1-3.5 ms,
/// so scheduling noise flipped the name. A condition that held over the whole window is
/// reported as that condition, whatever the jitter.
final class BoundaryDiagnosisTests: XCTestCase {
    typealias T = TestSnapshots

    /// A deterministic generator, so a failure replays.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A `check`-like window: samples every ~100 ms with scheduling jitter, the first one
    /// up to 4 ms after the window started, so the span of the history falls a hair short of
    /// (or just over) the stall timeout. The SQ is full in every sample and its head never
    /// moves; the op at the head has waited about as long. Fifty runs, one diagnosis.
    func testFullForTheWholeWindowIsAlwaysProducerBlocked() {
        var random = SplitMix(state: 11)
        let second = T.second
        let timeout = 0.5
        for run in 0..<50 {
            let start = 100 * second + UInt64.random(in: 0...4_000_000, using: &random)
            var times: [UInt64] = [start]
            while times.last! < 100 * second + UInt64(timeout * 1e9) - 3_000_000 {
                times.append(times.last! + 100_000_000 - 3_000_000 + UInt64.random(in: 0...6_000_000, using: &random))
            }
            // The head op was submitted just before the window: its age is near the timeout too.
            let submitted = 100 * second - UInt64.random(in: 0...3_000_000, using: &random)
            let snapshots = times.map { t in T.busy(time: t, sq: (10, 26), cq: (0, 0), inFlight: 16, age: t - submitted) }
            var sampler = Sampler()
            for snapshot in snapshots { sampler.record(snapshot) }
            let findings = Diagnosis.diagnose(snapshots.last!, history: sampler.history, thresholds: Thresholds(stallTimeout: timeout))
            let keys = findings.map(\.key)
            XCTAssertFalse(keys.contains("consumer-stalled sq"), "run \(run): \(findings)")
            // Below the timeout by the jitter, nothing; at or above it, producer-blocked. Never the other name.
            let span = Double(times.last! - times.first!) / 1e9
            let headAge = Double(times.last! - submitted) / 1e9
            if max(span, headAge) >= timeout {
                XCTAssertEqual(keys, ["producer-blocked sq"], "run \(run) (span \(span) s, head age \(headAge) s): \(findings)")
            }
        }
    }
}
