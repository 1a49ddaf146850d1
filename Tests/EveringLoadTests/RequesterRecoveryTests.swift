import CEvering
import Evering
import EveringLoad
import Foundation
import XCTest

/// kill -9 of a requester mid-run, then a new requester takes the side over (docs/ABI.md
/// "Recovery"): every slot the dead run left in flight is reclaimed, none is leaked; and
/// `cleanup` would remove the ring while both sides are gone, and refuses once one is back.
final class RequesterRecoveryTests: LoadTestCase {
    func testANewRequesterReclaimsTheSlotsOfOneKilledMidRun() throws {
        var generator = SystemRandomNumberGenerator()
        var cancelledTotal = 0, freedTotal = 0
        for trial in 0..<20 {
            let name = uniqueName("recover")
            let ring = try RingName(name)
            // Odd trials stall the responder first, so requests are still queued when the
            // requester dies (the others find the queue drained by the departing responder).
            let stalled = trial % 2 == 1
            let requester = try LoadProcess(["load", name, "--role", "requester", "--mode", "stream", "--concurrency", "64",
                                             "--duration", "60s", "--capacity", "64", "--json"])
            let observer = try observe(name)
            let target = UInt64.random(in: 200...20_000, using: &generator)
            let responder = try LoadProcess(["load", name, "--role", "responder"]
                                            + (stalled ? ["--fault", "stall-responder@\(50 + target % 200)ms"] : []))
            if stalled {
                XCTAssertTrue(queueStuckFull(observer, .submission, whileBeating: .responder, beats: 2), "trial \(trial): stalled")
            } else {
                XCTAssertTrue(poll(within: 10) { observer.queue(.completion).head > target }, "traffic flows: \(requester.stderr)")
            }
            kill(requester.pid, SIGKILL)
            requester.waitForExit(within: 5)
            responder.waitForExit(within: 5)  // it notices its requester died and leaves

            // What the dead run left: busy slots, and the requests still queued for a responder.
            var states: [UInt32] = []
            observer.slotStates(into: &states)
            let slotCount = states.count
            let busyBefore = states.filter { $0 != SlotState.free.rawValue }.count
            let sq = observer.queue(.submission)
            var queued = Set<UInt32>()
            var position = sq.head
            while position != sq.tail {
                let op = OpID(rawValue: observer.entry(.submission, at: position).op_id)
                let slot = observer.slot(op.slot)
                if slot.generation == op.generation, slot.state == .submitted || slot.state == .waiting || slot.state == .cancelled {
                    queued.insert(op.slot)
                }
                position &+= 1
            }

            // Both sides gone (one killed, one left): cleanup would remove the ring.
            let dryRun = try LoadProcess(["cleanup", name, "--dry-run"])
            XCTAssertEqual(dryRun.waitForExit(within: 10), 0, "trial \(trial): \(dryRun.stderr)")
            XCTAssertTrue(dryRun.stdout.contains("would remove /\(name)"), "trial \(trial): \(dryRun.stdout)")

            let successor = try Requester.open(ring)
            let recovery = successor.driver.recovery
            cancelledTotal += recovery.cancelled
            freedTotal += recovery.freed
            XCTAssertEqual(recovery.cancelled, queued.count, "trial \(trial): queued requests stay pinned, as cancelled")
            XCTAssertEqual(recovery.cancelled + recovery.freed, busyBefore, "trial \(trial): every busy slot reclaimed")
            observer.slotStates(into: &states)
            XCTAssertEqual(states.filter { $0 == SlotState.submitted.rawValue || $0 == SlotState.waiting.rawValue
                                           || $0 == SlotState.completed.rawValue }.count, 0, "trial \(trial)")
            XCTAssertEqual(successor.driver.freeCount, slotCount - queued.count, "trial \(trial)")

            // A new responder answers the queued requests; their completions free the last slots.
            let answerer = try LoadProcess(["load", name, "--role", "responder"])
            XCTAssertTrue(poll(within: 10) {
                successor.reap()
                return successor.driver.freeCount == slotCount
            }, "trial \(trial): \(successor.driver.freeCount) of \(slotCount) slots free after the queued requests were answered")
            // With a live requester (us), cleanup refuses and names it.
            let refused = try LoadProcess(["cleanup", name])
            XCTAssertEqual(refused.waitForExit(within: 10), 1, "trial \(trial)")
            XCTAssertTrue(refused.stderr.contains("the requester (pid \(getpid())) is alive"), "trial \(trial): \(refused.stderr)")
            successor.detach()
            answerer.waitForExit(within: 5)
        }
        XCTAssertGreaterThan(cancelledTotal, 0, "some trials found queued requests (cancelled, then freed by their answers)")
        XCTAssertGreaterThan(freedTotal, 0, "some trials found slots no one would answer (freed at once)")
    }
}
