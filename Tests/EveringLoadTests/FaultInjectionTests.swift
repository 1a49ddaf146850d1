import Evering
import EveringLoad
import Foundation
import XCTest

/// Each fault must put the ring in the state it claims, as the read-only observer sees it.
final class FaultInjectionTests: LoadTestCase {
    func testStallResponderFillsSubmissionQueueWhileHeartbeatStaysFresh() throws {
        let name = uniqueName("stall-resp")
        let run = try LoadProcess(["load", name, "--fault", "stall-responder@200ms", "--capacity", "16",
                                   "--concurrency", "64", "--duration", "60s", "--drain-timeout", "200ms", "--json"])
        let observer = try observe(name)
        // Full, head not moving, across several beats of the responder's heartbeat.
        XCTAssertTrue(queueStuckFull(observer, .submission, whileBeating: .responder), "SQ never stuck full: \(run.stderr)")
        let sq = observer.queue(.submission)
        XCTAssertEqual(sq.used, 16)
        XCTAssertGreaterThan(sq.fullStalls, 0)
        XCTAssertEqual(observer.side(.responder).identity.liveness, .alive)
        XCTAssertEqual(observer.side(.responder).state, .attached)
        kill(run.pid, SIGINT)
        XCTAssertNotEqual(run.waitForExit(within: 10), 0, "undrained ops must fail the run")
        let summary = try run.summary()
        XCTAssertEqual(summary.stopReason, "signal")
        XCTAssertGreaterThan(summary.errors.lost, 0)
        XCTAssertEqual(summary.failure?.kind, "drain-timed-out", "\(String(describing: summary.failure))")
        XCTAssertTrue(summary.failure?.description.contains("still in flight") ?? false, "\(String(describing: summary.failure))")
        XCTAssertNil(summary.responderKilled, "a stalled (not hung) responder leaves by itself")
    }

    func testHangResponderStopsHeartbeatWithPidAlive() throws {
        let name = uniqueName("hang")
        let run = try LoadProcess(["load", name, "--fault", "hang-responder@200ms", "--hang-timeout", "2s",
                                   "--duration", "60s", "--json", "--keep"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) {
            let side = observer.side(.responder)
            return side.state == .attached && Clock.monotonicNanoseconds &- side.heartbeatNanoseconds > 600_000_000
        }, "responder heartbeat never went stale: \(run.stderr)")
        let side = observer.side(.responder)
        XCTAssertEqual(side.identity.liveness, .stopped, "a hung (SIGSTOPped) responder is a live process, stopped")
        let head = observer.queue(.submission).head
        XCTAssertTrue(heartbeatAdvances(observer, side: .requester, times: 2))
        XCTAssertEqual(observer.queue(.submission).head, head, "a hung responder drained the SQ")
        XCTAssertNotEqual(run.waitForExit(within: 10), 0)
        XCTAssertTrue(run.stderr.contains("heartbeat stopped"), run.stderr)
        // The requester SIGKILLs its hung child when it gives up, and its summary says so.
        XCTAssertTrue(poll(within: 5) { side.identity.liveness != .alive })
        let summary = try run.summary()
        XCTAssertEqual(summary.failure?.kind, "responder-hung")
        XCTAssertEqual(summary.responderKilled, .hung)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["responderKilled"] as? String, "hung")
        XCTAssertEqual(json["failureKind"] as? String, "responder-hung")
    }

    func testCrashResponderLeavesDeadPeerWithOpsInFlight() throws {
        let name = uniqueName("crash")
        let run = try LoadProcess(["load", name, "--fault", "crash-responder@200ms", "--concurrency", "8",
                                   "--duration", "60s", "--json", "--keep"])
        XCTAssertNotEqual(run.waitForExit(within: 10), 0)
        XCTAssertTrue(run.stderr.contains("died"), run.stderr)
        let observer = try observe(name, within: 1)
        let responder = observer.side(.responder)
        XCTAssertEqual(responder.state, .attached, "a crashed responder never detaches")
        XCTAssertEqual(responder.identity.liveness, .dead)
        XCTAssertEqual(observer.side(.requester).state, .detached)
        let inFlight = slotCount(observer, .submitted) + slotCount(observer, .waiting)
        XCTAssertGreaterThan(inFlight, 0, "ops should be left in flight with the dead peer")
    }

    func testSlowResponderDelaysEveryOp() throws {
        let name = uniqueName("slow")
        let run = try LoadProcess(["load", name, "--fault", "slow-responder=2ms", "--count", "20", "--json"])
        XCTAssertEqual(run.waitForExit(within: 20), 0, run.stderr)
        let summary = try run.summary()
        XCTAssertEqual(summary.verified, 20)
        // The responder sleeps at least 2 ms per op, so no round trip can be shorter.
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.p50, 2_000_000)
        XCTAssertEqual(summary.faults, ["slow-responder=2ms"])
    }

    func testLeakCancelPinsExactlyNSlots() throws {
        let name = uniqueName("leak")
        let run = try LoadProcess(["load", name, "--fault", "leak-cancel=3", "--concurrency", "4",
                                   "--duration", "60s", "--json"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { self.slotCount(observer, .cancelled) == 3 && observer.queue(.submission).head > 100 },
                      "expected 3 cancelled slots: \(run.stderr)")
        let head = observer.queue(.submission).head
        XCTAssertTrue(poll(within: 10) { observer.queue(.submission).head > head + 500 }, "traffic stopped")
        XCTAssertEqual(slotCount(observer, .cancelled), 3, "cancelled slots must stay pinned while traffic flows")
        kill(run.pid, SIGINT)
        XCTAssertEqual(run.waitForExit(within: 10), 0, run.stderr)
        let summary = try run.summary()
        XCTAssertEqual(summary.cancelled, 3)
        XCTAssertEqual(summary.errors.total, 0)
    }

    func testStallRequesterFillsCompletionQueue() throws {
        let name = uniqueName("stall-req")
        let run = try LoadProcess(["load", name, "--fault", "stall-requester@200ms", "--capacity", "16",
                                   "--concurrency", "64", "--duration", "60s", "--json"])
        let observer = try observe(name)
        XCTAssertTrue(queueStuckFull(observer, .completion, whileBeating: .requester), "CQ never stuck full: \(run.stderr)")
        let cq = observer.queue(.completion)
        XCTAssertEqual(cq.used, 16)
        XCTAssertEqual(observer.side(.requester).identity.liveness, .alive)
        XCTAssertGreaterThan(cq.fullStalls, 0, "the responder should have found the CQ full")
        kill(run.pid, SIGINT)
        XCTAssertEqual(run.waitForExit(within: 10), 0, "drain resumes reaping: \(run.stderr)")
        let summary = try run.summary()
        XCTAssertEqual(summary.errors.total, 0)
        XCTAssertEqual(summary.verified, summary.operations)
    }
}
