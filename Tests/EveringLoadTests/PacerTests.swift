import CEvering
@testable import EveringLoad
import XCTest

/// The `--rate` schedule: op k is due at start + k/rate, and a wait never ends before the
/// op is due (it may end later: that is the machine's noise, not asserted here).
final class PacerTests: XCTestCase {
    func testScheduleIsStartPlusIndexOverRate() {
        let pacer = Pacer(start: 1_000_000_000, rate: 10_000)
        XCTAssertEqual(pacer.due(0), 1_000_000_000)
        XCTAssertEqual(pacer.due(1), 1_000_100_000)
        XCTAssertEqual(pacer.due(10_000), 2_000_000_000)
        XCTAssertEqual(pacer.opsDue(at: 1_000_000_000), 1, "the first op is due at the start")
        XCTAssertEqual(pacer.opsDue(at: 1_000_099_999), 1)
        XCTAssertEqual(pacer.opsDue(at: 1_000_100_000), 2)
        XCTAssertEqual(pacer.opsDue(at: 2_000_000_000), 10_001)
    }

    func testAWaitNeverEndsBeforeTheOpIsDueNorAfterItsLimitIsIgnored() {
        for gap: UInt64 in [5_000, 40_000, 300_000, 2_000_000] {  // spun, and slept then spun
            let due = ev_monotonic_ns() &+ gap
            Pacer.wait(until: due, limit: .max)
            XCTAssertGreaterThanOrEqual(ev_monotonic_ns(), due, "gap \(gap) ns")
        }
        // The limit (the requester's next supervision) ends the wait first when it is earlier.
        let limit = ev_monotonic_ns() &+ 50_000
        Pacer.wait(until: limit &+ 10_000_000_000, limit: limit)
        let now = ev_monotonic_ns()
        XCTAssertGreaterThanOrEqual(now, limit)
        XCTAssertLessThan(now, limit &+ 10_000_000_000, "did not wait for the far op")
    }
}
