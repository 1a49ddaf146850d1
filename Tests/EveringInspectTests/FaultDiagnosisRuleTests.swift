import XCTest
@testable import EveringInspect

/// Rule fixes found by driving the load generator's faults end to end
/// (Tests/EveringEndToEndTests): each pins the ring state the fault left behind.
final class FaultDiagnosisRuleTests: XCTestCase {
    typealias T = TestSnapshots
    let second = TestSnapshots.second

    /// Samples every 100 ms over the two seconds before `T.busy`'s default time.
    func history(_ make: (UInt64) -> Snapshot) -> [Sample] {
        stride(from: 980, to: 1000, by: 1).map { Sample(make(UInt64($0) * second / 10)) }
    }

    /// crash-responder / hang-responder after the requester gave up: the SQ is full and
    /// its consumer is dead. That is peer-dead, not "the responder is not draining it".
    func testProducerBlockedDefersToPeerDeadWhenTheConsumerIsGone() {
        let dead = T.side(.responder, liveness: .dead, pid: 777)
        let hist = history { T.busy(time: $0, sq: (10, 26), cq: (0, 0), inFlight: 16, age: 1000, responder: dead) }
        let findings = Diagnosis.diagnose(T.busy(sq: (10, 26), cq: (0, 0), inFlight: 16, age: 1000, responder: dead),
                                          history: hist)
        XCTAssertEqual(findings.map(\.rule), [.peerDead], "\(findings)")
        // The same full queue with the consumer alive is still a block.
        let alive = history { T.busy(time: $0, sq: (10, 26), cq: (0, 0), inFlight: 16, age: 1000) }
        XCTAssertTrue(Diagnosis.diagnose(T.busy(sq: (10, 26), cq: (0, 0), inFlight: 16, age: 1000), history: alive)
            .contains { $0.rule == .producerBlocked && $0.subject == "sq" })
    }

    /// stall-requester with more ops than queue room: the CQ fills, the responder blocks
    /// completing, and the SQ backs up behind it. The SQ finding names the real cause.
    func testProducerBlockedOnSubmissionPointsAtTheFullCompletionQueue() {
        let hist = history { T.busy(time: $0, sq: (10, 26), cq: (0, 16), inFlight: 32, age: 1000) }
        let findings = Diagnosis.diagnose(T.busy(sq: (10, 26), cq: (0, 16), inFlight: 32, age: 1000), history: hist)
        let sq = findings.first { $0.rule == .producerBlocked && $0.subject == "sq" }
        let cq = findings.first { $0.rule == .producerBlocked && $0.subject == "cq" }
        XCTAssertNotNil(cq, "\(findings)")
        XCTAssertTrue(sq?.message.contains("is blocked on the full completion queue, which the requester (pid 4242) is not reaping") ?? false,
                      sq?.message ?? "no sq finding")
        XCTAssertFalse(findings.contains { $0.message.contains("not taken from the submission queue") }, "never blames the responder")
        XCTAssertEqual(sq?.culprit, .requester)
        XCTAssertEqual(cq?.culprit, .requester)
        // One incident: the requester not reaping, with the SQ block as its symptom.
        let incidents = Incident.group(findings)
        XCTAssertEqual(incidents.count, 1, "\(incidents)")
        XCTAssertEqual(incidents.first?.rootCause.key, "producer-blocked cq")
        XCTAssertEqual(incidents.first?.symptoms.map(\.key), ["producer-blocked sq"])
        XCTAssertTrue(incidents.first?.rootCause.message.contains("requester (pid 4242) is alive, its heartbeat fresh") ?? false)
        XCTAssertEqual(sq?.evidence["otherQueueFull"], 1)
        XCTAssertNil(cq?.evidence["otherQueueFull"], "the completion queue's consumer is not blocked elsewhere")
    }

    /// leak-cancel after a clean end: both sides detached and exited, 3 slots still
    /// cancelled. That is a leak (reported), not two dead peers with ops in flight.
    func testPeerDeadIgnoresCancelledSlotsOfDetachedSides() {
        var now = T.busy(sq: (50, 50), cq: (50, 50), inFlight: 3, age: 4 * second,
                         requester: T.side(.requester, liveness: .dead, state: .detached),
                         responder: T.side(.responder, liveness: .dead, state: .detached))
        for i in now.slots!.busy.indices { now.slots!.busy[i].state = .cancelled }
        now.slots!.counts.submitted = 0
        now.slots!.counts.cancelled = 3
        XCTAssertEqual(Diagnosis.diagnose(now).map(\.rule), [.leakedCancellations])
        // A submitted op left behind by a responder that detached and exited: nobody waits for
        // it once the requester has left too (both left cleanly: not DEAD; the leak makes it
        // DEGRADED rather than STALE)...
        now.slots!.busy[0].state = .submitted
        now.slots!.counts.submitted = 1
        now.slots!.counts.cancelled = 2
        XCTAssertEqual(Diagnosis.diagnose(now).filter { $0.rule == .peerDead }, [])
        XCTAssertEqual(InspectReport(snapshot: now, findings: Diagnosis.diagnose(now), thresholds: .default).status, .degraded)
        // ...but while the requester is still there waiting for it, the responder is at fault.
        now.requester = T.side(.requester)
        let dead = Diagnosis.diagnose(now).filter { $0.rule == .peerDead }
        XCTAssertEqual(dead.map(\.subject), ["responder"], "\(dead)")
        XCTAssertEqual(dead.first?.evidence["inFlight"], 1)
    }
}
