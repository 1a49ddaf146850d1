import XCTest
@testable import EveringDashboard

/// `+`/`-` reach exactly the range `attach -d` accepts, from any starting interval.
final class IntervalRangeTests: XCTestCase {
    func testPlusAndMinusReachTheEndsOfTheDelayRange() {
        for start in [DashboardState.minimumInterval, 0.3, 1, 7, DashboardState.maximumInterval] {
            // step(up: true) lengthens the interval (the `-` key), step(up: false) shortens it (`+`).
            var slower = start
            for _ in 0..<50 { slower = DashboardState.step(slower, up: true) }
            XCTAssertEqual(slower, DashboardState.maximumInterval, "'-' from \(start)")
            var faster = start
            for _ in 0..<50 { faster = DashboardState.step(faster, up: false) }
            XCTAssertEqual(faster, DashboardState.minimumInterval, "'+' from \(start)")
        }
        XCTAssertEqual(DashboardState.intervalSteps.first, DashboardState.minimumInterval)
        XCTAssertEqual(DashboardState.intervalSteps.last, DashboardState.maximumInterval)
    }
}
