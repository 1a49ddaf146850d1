import Evering
@testable import EveringInspect
import XCTest

/// The incident grouping and the status word, over hand-built snapshots (docs/CLI.md's table).
final class IncidentAndStatusTests: XCTestCase {
    typealias T = TestSnapshots

    func status(_ snapshot: Snapshot, history: [Sample] = []) -> RingStatus {
        InspectReport(snapshot: snapshot, findings: Diagnosis.diagnose(snapshot, history: history), thresholds: .default).status
    }

    func testEachWordAndItsCheckExitCode() {
        XCTAssertEqual(status(T.busy(inFlight: 0)), .ok)
        var unlinked = T.busy(inFlight: 0)
        unlinked.isStillLinked = false
        XCTAssertEqual(status(unlinked), .gone)
        XCTAssertEqual(status(T.busy(responder: T.side(.responder, liveness: .zombie))), .dead)
        XCTAssertEqual(status(T.busy(responder: T.side(.responder, liveness: .stopped))), .stuck)
        XCTAssertEqual(status(T.busy(responder: T.side(.responder, liveness: .blockedInKernel, heartbeatAge: 5 * T.second))), .stuck)
        var leak = T.busy(sq: (5, 5), cq: (5, 5), inFlight: 1, age: 5 * T.second)
        leak.slots!.busy[0].state = .cancelled
        leak.slots!.counts = SlotTable.Counts(free: 63, cancelled: 1)
        XCTAssertEqual(status(leak), .degraded)
        let gone = { (role: SideRole) in T.side(role, liveness: .dead, state: .detached) }
        XCTAssertEqual(status(T.busy(sq: (5, 5), cq: (5, 5), inFlight: 0, requester: gone(.requester), responder: gone(.responder))),
                       .stale)
        XCTAssertEqual(RingStatus.allCases.map(\.checkExitCode), [0, 1, 1, 1, 0, 1, 2])
        XCTAssertEqual(RingStatus.allCases.map(\.rawValue), ["OK", "DEGRADED", "STUCK", "DEAD", "STALE", "GONE", "NOT READY"])
    }

    /// A zombie is dead (it answers kill(pid, 0) but will never run again); a stopped or
    /// D-state process is alive.
    func testKernelStateLetters() {
        XCTAssertEqual(ProcessStat.parse("1 (sh) Z 0 " + (5...22).map(String.init).joined(separator: " "))?.liveness, .zombie)
        XCTAssertEqual(ProcessStat.parse("1 (a b) c) T 0 " + (5...22).map(String.init).joined(separator: " "))?.liveness, .stopped)
        XCTAssertEqual(ProcessStat.parse("1 (sh) D 0 " + (5...22).map(String.init).joined(separator: " "))?.liveness, .blockedInKernel)
        XCTAssertEqual(ProcessStat.parse("1 (sh) S 0 " + (5...22).map(String.init).joined(separator: " "))?.liveness, .alive)
        XCTAssertEqual(ProcessStat.parse("1 (sh) S 0 " + (5...22).map(String.init).joined(separator: " "))?.startTime, 22)
        XCTAssertNil(ProcessStat.parse("1 (sh) S 0"))
        XCTAssertTrue(Liveness.zombie.isGone)
        XCTAssertFalse(Liveness.stopped.isGone)
    }

    /// When the requester dies the incident is the requester's: the responder going too is
    /// a consequence (a warning under it), not a second critical incident.
    func testRequesterDeathIsTheRootCause() {
        let snapshot = T.busy(requester: T.side(.requester, liveness: .dead),
                              responder: T.side(.responder, liveness: .dead, pid: 4343))
        let incidents = Incident.group(Diagnosis.diagnose(snapshot))
        XCTAssertEqual(incidents.map(\.id), ["peer-dead requester"], "\(incidents)")
        XCTAssertEqual(incidents.first?.symptoms.map(\.key), ["peer-dead responder"])
        XCTAssertEqual(incidents.first?.symptoms.first?.severity, .warning)
        XCTAssertTrue(incidents.first?.symptoms.first?.message.contains("a consequence") ?? false)
    }

    /// Independent problems stay separate incidents; corruption explains nothing else.
    func testUnrelatedFindingsAreSeparateIncidents() {
        let corrupt = Finding(rule: .corruption, severity: .critical, subject: "sq", message: "bad")
        let stall = Finding(rule: .consumerStalled, severity: .critical, subject: "sq", message: "s", culprit: .responder)
        let reap = Finding(rule: .consumerStalled, severity: .critical, subject: "cq", message: "r", culprit: .requester)
        let old = Finding(rule: .oldInFlightOp, severity: .warning, subject: "slot 1", message: "o", culprit: .responder)
        let incidents = Incident.group([old, stall, corrupt, reap])
        XCTAssertEqual(incidents.map(\.id), ["corruption sq", "consumer-stalled cq", "consumer-stalled sq"])
        XCTAssertEqual(incidents[2].symptoms.map(\.key), ["old-in-flight-op slot 1"])
        XCTAssertEqual(incidents[0].symptoms, [])
    }

    /// A stopped responder is the root; the stall it causes is its symptom.
    func testStoppedResponderExplainsTheStall() {
        let stopped = T.side(.responder, liveness: .stopped, heartbeatAge: 3 * T.second, pid: 4343)
        let snapshot = T.busy(sq: (10, 14), age: 3 * T.second, responder: stopped)
        let incidents = Incident.group(Diagnosis.diagnose(snapshot))
        XCTAssertEqual(incidents.map(\.id), ["side-stopped responder"], "\(incidents)")
        XCTAssertEqual(incidents.first?.symptoms.map(\.key), ["consumer-stalled sq"])
        XCTAssertTrue(incidents.first?.rootCause.message.contains("is stopped (SIGSTOP?)") ?? false)
        XCTAssertFalse(Diagnosis.diagnose(snapshot).contains { $0.message.contains("hung") })
    }
}
