import Evering
import EveringInspect
import Foundation
import XCTest
@testable import EveringIOUring

/// The overview's io_uring sampling (`evering-top --io-uring`) against a real ring.
final class IOUringFleetTests: XCTestCase {
    func testARingAppearsWithItsQueuesAndGoesWhenItsProcessExits() throws {
        let helper = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        let fleet = IOUringFleet(thresholds: Thresholds(stallTimeout: 60))
        let name = "io_uring:\(helper.pid):\(helper.fd)"
        let reading = fleet.sample()
        let ring = try XCTUnwrap(reading.rings.first { $0.name == name }, "\(reading.rings.map(\.name))")
        XCTAssertEqual(ring.command, "UringFixture")
        XCTAssertEqual(ring.snapshot.submission.used, 2)
        XCTAssertEqual(ring.snapshot.completion.used, 3)
        XCTAssertNil(ring.rates, "no rate before the second sample")
        let second = try XCTUnwrap(fleet.sample().rings.first { $0.name == name })
        XCTAssertNotNil(second.rates, "history is kept between samples")
        helper.stop()
        let deadline = Date().addingTimeInterval(10)
        var after = fleet.sample()
        while after.rings.contains(where: { $0.name == name && $0.status != .gone }) && Date() < deadline {
            usleep(50_000)
            after = fleet.sample()
        }
        XCTAssertFalse(after.rings.contains { $0.name == name && $0.status != .gone }, "the closed ring is still listed as live")
    }
}
