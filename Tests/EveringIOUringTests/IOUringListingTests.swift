import EveringInspect
import XCTest
@testable import EveringIOUring

final class IOUringListingTests: XCTestCase {
    func testScanListsTheHelpersRingWithFill() throws {
        let helper = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        defer { helper.stop() }
        let listing = IOUringListing.scan()
        let row = try XCTUnwrap(listing.rings.first { $0.pid == helper.pid })
        XCTAssertEqual(row.command, "UringFixture")
        XCTAssertEqual(row.fd, helper.fd)
        XCTAssertEqual(row.target, "io_uring:\(helper.pid):\(helper.fd)")
        XCTAssertEqual(row.sqUsed, 2)
        XCTAssertEqual(row.sqCapacity, UInt32(helper.sqEntries))
        XCTAssertEqual(row.cqUsed, 3)
        XCTAssertEqual(row.status, "OK")
        let text = listing.renderText()
        XCTAssertTrue(text.hasPrefix("PID"))
        XCTAssertTrue(text.contains("2/\(helper.sqEntries)"), text)
    }

    func testRowStatuses() throws {
        let instance = IOUringInstance(pid: 9, command: "x", fd: 3)
        func make(_ fixture: String) throws -> Snapshot {
            try XCTUnwrap(IOUringSnapshot.make(instance: instance, info: IOUringFDInfo(parsing: try fdinfoFixture(fixture)),
                                               liveness: .alive, takenAt: 1))
        }
        XCTAssertEqual(IOUringListing.row(instance, snapshot: try make("overflow.txt")).status, "OVERFLOW")
        XCTAssertEqual(IOUringListing.row(instance, snapshot: try make("overflow.txt")).cqOverflow, 4)
        XCTAssertEqual(IOUringListing.row(instance, snapshot: try make("inconsistent-sq.txt")).status, "CORRUPT")
        XCTAssertEqual(IOUringListing.row(instance, snapshot: try make("idle.txt")).status, "OK")
        XCTAssertEqual(IOUringListing.row(instance, snapshot: nil).status, "GONE")
        var unavailable = try make("idle.txt")
        unavailable.ioUring?.stateUnavailable = true
        XCTAssertEqual(IOUringListing.row(instance, snapshot: unavailable).status, "NO STATE")
        let text = IOUringListing(rings: [], deniedPIDs: [1, 2]).renderText()
        XCTAssertTrue(text.contains("no io_uring instances"))
        XCTAssertTrue(text.contains("2 process(es) belong to other users"))
    }
}
