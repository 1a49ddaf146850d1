import Evering
import EveringInspect
import Foundation
import XCTest

/// No false positives: a ring under heavy load, and the idle ring a clean run leaves behind.
final class HealthyLoadEndToEndTests: EndToEndTestCase {
    /// Decision for the kept ring after a clean run (both sides detached and exited, no op
    /// in flight): `check` calls it healthy (exit 0) because nothing is wrong with it and
    /// nothing waits on it; `list` marks it STALE, which is where "nobody uses this ring,
    /// its name can be removed" belongs (docs/CLI.md).
    func testHeavyLoadAndTheIdleRingAfterItHaveNoFindings() throws {
        let name = try uniqueName("healthy")
        let load = try startLoad(name, ["--concurrency", "32", "--capacity", "64"])
        let busy = try waitForState(name, load, "traffic flowing") { s in s.completion.head > 5_000 }
        let (status, report) = try check(name)
        XCTAssertEqual(report.findings, [], "false positive under load")
        XCTAssertEqual(status, 0)
        XCTAssertGreaterThan(report.snapshot.completion.head, busy.completion.head, "the load ran during the check")
        XCTAssertGreaterThan(report.rates?.completionDequeuesPerSecond ?? 0, 0)

        load.kill(SIGINT)
        XCTAssertTrue(poll(within: 10) { !load.isRunning })
        XCTAssertEqual(load.wait(), 0, load.stderr)
        let (idleStatus, idle) = try check(name)
        XCTAssertEqual(idle.findings, [], "an idle ring left by a clean run")
        XCTAssertEqual(idleStatus, 0)
        XCTAssertEqual(idle.snapshot.requester?.state, .detached)
        XCTAssertEqual(idle.snapshot.responder?.state, .detached)
        XCTAssertEqual(idle.snapshot.slots?.counts.inFlight, 0)
        let list = try Tool.run(["list", "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        let listings = try InspectJSON.decode([RingListing].self, from: list.stdout)
        let listing = try XCTUnwrap(listings.first { $0.name.hasSuffix(name) }, list.stdout)
        XCTAssertEqual(listing.status, .stale, "both sides gone: list says so")
    }

    /// Stream mode at full speed (256 ops in flight, queues often full as back-pressure).
    func testStreamAtFullSpeedHasNoFindings() throws {
        let name = try uniqueName("stream")
        let load = try startLoad(name, ["--mode", "stream"])
        let busy = try waitForState(name, load, "traffic flowing") { s in s.completion.head > 20_000 }
        let (status, report) = try check(name)
        XCTAssertEqual(report.findings, [], "false positive under load")
        XCTAssertEqual(status, 0)
        XCTAssertGreaterThan(report.snapshot.completion.head, busy.completion.head)
    }
}
