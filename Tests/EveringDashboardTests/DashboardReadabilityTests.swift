import XCTest
@testable import EveringDashboard
import EveringInspect

/// What a user reads off the screen is true and explained: ages, sparkline scales, the help,
/// the alerts' last page, the ring-gone banner, the io_uring header.
final class DashboardReadabilityTests: XCTestCase {
    typealias F = DashboardFixtures

    func render(_ input: DashboardInput, _ state: DashboardState = DashboardState(), width: Int = 80, height: Int = 24,
                now: UInt64 = F.now) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: now)
    }

    func testAgesAreNeverAClampedZero() throws {
        XCTAssertEqual(Formatting.age(nanoseconds: 0), "<1us")
        XCTAssertEqual(Formatting.age(nanoseconds: 999), "<1us")
        XCTAssertEqual(Formatting.age(nanoseconds: 1_500), "1us")
        XCTAssertEqual(Formatting.age(nanoseconds: nil), "-")
        XCTAssertEqual(Formatting.age(from: 10, to: 5), "-", "an event after 'now' has no known age")
        XCTAssertEqual(Formatting.age(from: 5, to: 5), "<1us")
        XCTAssertEqual(Formatting.age(from: 0, to: 2 * F.second), "2.0s")

        // An op submitted while the read ran, a heartbeat written meanwhile, an alert first
        // seen after the render's clock reading: none of them reads "0ns" or "0s".
        var snapshot = F.snapshot(inFlight: [5: (.submitted, 0)],
                                  responder: F.side(.responder, pid: 101, heartbeat: 0))
        snapshot.submission.pending[0].ageNanoseconds = 0
        let finding = F.finding(.consumerStalled, .critical, "sq", "stuck")
        var log = AlertLog()
        log.update([finding], at: F.now + F.second)
        let grid = render(DashboardInput(name: "r", connection: .live, snapshot: snapshot, alerts: log.ordered),
                          width: 120, height: 40)
        XCTAssertFalse(grid.text.contains("0ns"), grid.text)
        XCTAssertFalse(grid.text.contains("(0s)"), grid.text)
        XCTAssertTrue(grid.text(row: 1).contains("responder 101 alive hb <1us"), grid.text(row: 1))
        XCTAssertTrue(grid.text.contains("at head: op 5#9 opc 2 len 16 <1us"), grid.text)
        let row = try XCTUnwrap(grid.rowContaining("submitted"))
        XCTAssertTrue(grid.text(row: row).contains("<1us"), grid.text(row: row))
        XCTAssertTrue(grid.text.contains("CRIT consumer-stalled stuck (-)"), grid.text)
    }
}
