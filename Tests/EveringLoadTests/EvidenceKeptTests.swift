import Evering
import EveringLoad
import Foundation
import XCTest

/// Issue 11, "evidence kept": the demo's load (`--hold-on-failure`) leaves a failed ring
/// exactly as the fault left it until it is told to stop; a plain load kills a hung
/// responder after --hang-timeout and says so in its summary (the latter is
/// FaultInjectionTests.testHangResponderStopsHeartbeatWithPidAlive).
final class EvidenceKeptTests: LoadTestCase {
    /// The hold announces itself on stderr: the synchronisation point of these tests.
    func waitForHold(_ run: LoadProcess, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        poll(within: 15) { run.stderr.contains("holding the ring") }
    }

    func processState(_ pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].first
    }

    func testCrashedResponderLeavesTheRingAndTheRequesterInPlaceUntilStopped() throws {
        let name = uniqueName("hold-crash")
        let run = try LoadProcess(["load", name, "--fault", "crash-responder@300ms", "--concurrency", "8",
                                   "--duration", "60s", "--json", "--hold-on-failure"])
        XCTAssertTrue(waitForHold(run), "the load never held: \(run.stderr)")
        XCTAssertTrue(run.process.isRunning, "the load must stay until it is stopped")
        let observer = try observe(name, within: 1)  // the ring is still linked
        XCTAssertEqual(observer.side(.responder).identity.liveness, .dead)
        XCTAssertEqual(observer.side(.requester).state, .attached, "the requester stays attached")
        XCTAssertTrue(heartbeatAdvances(observer, side: .requester, times: 2), "the requester is alive, holding")
        XCTAssertGreaterThan(slotCount(observer, .submitted) + slotCount(observer, .waiting), 0, "the orphaned ops are still there")
        kill(run.pid, SIGINT)
        XCTAssertEqual(run.waitForExit(within: 15), 1)
        XCTAssertFalse(sharedMemoryObjectNames().contains(name), "stopped: the load removes its ring")
        let summary = try run.summary()
        XCTAssertNotNil(summary.failure)
        XCTAssertNil(summary.responderKilled, "a crashed responder is not killed again")
    }

    func testHungResponderStaysHungUntilStoppedThenTheSummarySaysItWasKilled() throws {
        let name = uniqueName("hold-hang")
        let run = try LoadProcess(["load", name, "--fault", "hang-responder@200ms", "--hang-timeout", "500ms",
                                   "--duration", "60s", "--json", "--hold-on-failure"])
        XCTAssertTrue(waitForHold(run), "the load never held: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("heartbeat stopped"), run.stderr)
        let observer = try observe(name, within: 1)
        let responder = observer.side(.responder).identity
        // Past the hang timeout, and still there: stopped (T), not killed.
        XCTAssertEqual(processState(responder.pid), "T", "the hung responder must stay hung (SIGSTOPped), not be killed")
        XCTAssertEqual(observer.side(.requester).state, .attached)
        kill(run.pid, SIGINT)
        XCTAssertEqual(run.waitForExit(within: 15), 1)
        XCTAssertTrue(poll(within: 5) { responder.liveness != .alive }, "stopped: the hung responder is killed")
        let summary = try run.summary()
        XCTAssertEqual(summary.failure?.kind, "responder-hung")
        XCTAssertEqual(summary.responderKilled, .hung)
        XCTAssertFalse(sharedMemoryObjectNames().contains(name))
    }
}
