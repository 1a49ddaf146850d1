import XCTest
@testable import EveringInspect

/// Each rule over hand-built snapshots and histories: fires on its state, stays silent on
/// the near miss next to it.
final class DiagnosisRuleTests: XCTestCase {
    typealias T = TestSnapshots
    let second = TestSnapshots.second

    func rules(_ findings: [Finding]) -> Set<Finding.Rule> { Set(findings.map(\.rule)) }

    /// Samples every 100 ms from `from` to `to` seconds (exclusive of `to`) built by `make`.
    func history(from: UInt64, to: UInt64, _ make: (UInt64) -> Snapshot) -> [Sample] {
        stride(from: from * 10, to: to * 10, by: 1).map { Sample(make($0 * second / 10)) }
    }

    func testHealthyBusySnapshotHasNoFindings() {
        // Indices move between samples, ops are young, slots free.
        let hist = history(from: 90, to: 100) { t in
            let n = t / 1000
            return T.busy(time: t, sq: (n, n + 4), cq: (n - 2, n))
        }
        let now = T.busy(time: 100 * second, sq: (100_000_000, 100_000_004), cq: (99_999_998, 100_000_000))
        XCTAssertEqual(Diagnosis.diagnose(now, history: hist), [])
    }

    func testIdleSnapshotHasNoFindings() {
        let idle = T.busy(sq: (50, 50), cq: (50, 50), inFlight: 0)
        let hist = history(from: 90, to: 100) { T.busy(time: $0, sq: (50, 50), cq: (50, 50), inFlight: 0) }
        XCTAssertEqual(Diagnosis.diagnose(idle, history: hist), [])
    }

    func testConsumerStalledFromHistory() {
        let hist = history(from: 98, to: 100) { T.busy(time: $0, sq: (10, 14), age: 1000) }
        let now = T.busy(sq: (10, 14), age: 1000)  // the head entry looks young: only history tells
        let findings = Diagnosis.diagnose(now, history: hist)
        let stall = findings.first { $0.rule == .consumerStalled }
        XCTAssertEqual(stall?.subject, "sq")
        XCTAssertEqual(stall?.severity, .critical)
        XCTAssertEqual(stall?.evidence["stalledSeconds"] ?? 0, 2, accuracy: 0.01)
        XCTAssertTrue(stall?.message.contains("responder (pid 4343) is alive, its heartbeat fresh") ?? false, stall?.message ?? "")
        XCTAssertEqual(stall?.culprit, .responder)
    }

    func testConsumerStalledNotBeforeTimeout() {
        let hist = history(from: 99, to: 100) { T.busy(time: $0 + second / 2, sq: (10, 14), age: 1000) }
        XCTAssertFalse(rules(Diagnosis.diagnose(T.busy(sq: (10, 14), age: 1000), history: hist)).contains(.consumerStalled))
    }

    func testConsumerStalledFromHeadEntryAgeInOneSnapshot() {
        let now = T.busy(sq: (10, 14), age: 3 * second)
        let stall = Diagnosis.diagnose(now).first { $0.rule == .consumerStalled }
        XCTAssertEqual(stall?.evidence["headEntryAgeSeconds"] ?? 0, 3, accuracy: 0.01)
    }

    func testOldHeadEntryOfAMovingBacklogIsNotAStall() {
        // A slow responder with a deep queue: the head entry waited 3 s behind others, but
        // the history shows the head moving every 100 ms, so nothing is stalled.
        let hist = history(from: 98, to: 100) { t in T.busy(time: t, sq: (t / (second / 10), t / (second / 10) + 14), cq: (0, 0), age: 3 * second) }
        let now = T.busy(sq: (1000, 1014), cq: (0, 0), age: 3 * second)
        XCTAssertFalse(rules(Diagnosis.diagnose(now, history: hist)).contains(.consumerStalled))
        // The same read alone cannot tell, and keeps its one-read verdict.
        XCTAssertTrue(rules(Diagnosis.diagnose(now)).contains(.consumerStalled))
    }

    func testMovingHeadIsNotAStall() {
        let hist = history(from: 98, to: 100) { t in T.busy(time: t, sq: (t / 1000, t / 1000 + 4), cq: (t / 1000, t / 1000 + 1)) }
        let now = T.busy(sq: (100_000_000, 100_000_004), cq: (100_000_000, 100_000_001))
        XCTAssertEqual(Diagnosis.diagnose(now, history: hist), [])
    }

    func testConsumerNotAttachedIsAWarning() {
        let responder = T.side(.responder, liveness: .unknown, state: .never, heartbeatAge: nil, pid: 0)
        let now = T.busy(sq: (0, 3), age: 2 * second, responder: responder)
        let stall = Diagnosis.diagnose(now).first { $0.rule == .consumerStalled }
        XCTAssertEqual(stall?.severity, .warning)
        XCTAssertTrue(stall?.message.contains("no responder is attached") ?? false)
    }

    func testProducerBlockedWhenFullAndNotDraining() {
        let hist = history(from: 98, to: 100) { T.busy(time: $0, sq: (10, 26), cq: (0, 0), inFlight: 16, age: 1000) }
        let findings = Diagnosis.diagnose(T.busy(sq: (11, 27), cq: (0, 0), inFlight: 16, age: 1000), history: hist)
        XCTAssertTrue(rules(findings).contains(.producerBlocked), "\(findings)")
        XCTAssertFalse(rules(findings).contains(.consumerStalled), "producer-blocked supersedes the stall")
    }

    func testFullButDrainingFastIsBackPressureNotBlocked() {
        let hist = history(from: 98, to: 100) { t in
            let h = t / 1000
            return T.busy(time: t, sq: (h, h + 16), cq: (h, h), inFlight: 16, age: 1000)
        }
        let findings = Diagnosis.diagnose(T.busy(sq: (100_000_000, 100_000_016), cq: (100_000_000, 100_000_000),
                                                 inFlight: 16, age: 1000), history: hist)
        XCTAssertEqual(findings, [])
    }

    func testPeerDeadWhileAttached() {
        let now = T.busy(sq: (0, 0), responder: T.side(.responder, liveness: .dead, pid: 777))
        let dead = Diagnosis.diagnose(now).first { $0.rule == .peerDead }
        XCTAssertEqual(dead?.subject, "responder")
        XCTAssertEqual(dead?.evidence["pid"], 777)
    }

    func testPidReusedCountsAsDead() {
        let now = T.busy(sq: (0, 0), requester: T.side(.requester, liveness: .pidReused, pid: 5))
        let dead = Diagnosis.diagnose(now).first { $0.rule == .peerDead }
        XCTAssertTrue(dead?.message.contains("now belongs to another process") ?? false)
    }

    func testCleanlyDetachedExitedSideOnIdleRingIsFine() {
        let now = T.busy(sq: (9, 9), cq: (9, 9), inFlight: 0,
                         responder: T.side(.responder, liveness: .dead, state: .detached))
        XCTAssertEqual(Diagnosis.diagnose(now), [])
    }

    func testHeartbeatStale() {
        let now = T.busy(sq: (0, 0), inFlight: 0, responder: T.side(.responder, heartbeatAge: 3 * second))
        let stale = Diagnosis.diagnose(now).first { $0.rule == .heartbeatStale }
        XCTAssertEqual(stale?.evidence["heartbeatAgeSeconds"] ?? 0, 3, accuracy: 0.01)
        let fresh = T.busy(sq: (0, 0), inFlight: 0, responder: T.side(.responder, heartbeatAge: second / 2))
        XCTAssertEqual(Diagnosis.diagnose(fresh), [])
    }

    func testLeakedCancellations() {
        var now = T.busy(sq: (5, 5), cq: (5, 5), inFlight: 2, age: 2 * second)
        now.slots!.busy[0].state = .cancelled
        now.slots!.counts.submitted = 1
        now.slots!.counts.cancelled = 1
        let findings = Diagnosis.diagnose(now, thresholds: Thresholds(stallTimeout: 1, inFlightMinimumAge: 10))
        XCTAssertEqual(rules(findings), [.leakedCancellations])
        XCTAssertEqual(findings.first?.evidence["count"], 1)
    }

    func testJustCancelledOldOpIsNotALeakWhenHistorySaysSo() {
        // An op that waited 2 s was cancelled 0.2 s ago: its age is from submission, but the
        // history shows no cancelled slot until then.
        func ring(time: UInt64, cancelled: Bool) -> Snapshot {
            var s = T.busy(time: time, sq: (5, 5), cq: (5, 5), inFlight: 2, age: 2 * second)
            if cancelled {
                s.slots!.busy[0].state = .cancelled
                s.slots!.counts.submitted = 1
                s.slots!.counts.cancelled = 1
            }
            return s
        }
        let thresholds = Thresholds(stallTimeout: 1, inFlightMinimumAge: 10)
        let recent = history(from: 98, to: 100) { ring(time: $0, cancelled: $0 >= 99_800_000_000) }
        XCTAssertEqual(Diagnosis.diagnose(ring(time: 100 * second, cancelled: true), history: recent, thresholds: thresholds), [])
        let long = history(from: 98, to: 100) { ring(time: $0, cancelled: $0 >= 98_500_000_000) }
        XCTAssertEqual(rules(Diagnosis.diagnose(ring(time: 100 * second, cancelled: true), history: long, thresholds: thresholds)),
                       [.leakedCancellations])
    }

    func testOldInFlightOpAgainstTypicalLatency() {
        // 1000 completions/s with ~5 ops in flight: typical latency ~5 ms; one op is 2 s old.
        let hist = history(from: 95, to: 100) { t in
            let n = t / 1_000_000  // 1000 per second
            return T.busy(time: t, sq: (n, n), cq: (n, n), inFlight: 5, age: 1_000_000)
        }
        var now = T.busy(sq: (100_000, 100_000), cq: (100_000, 100_000), inFlight: 5, age: 1_000_000)
        now.slots!.busy[3].ageNanoseconds = 2 * second
        let findings = Diagnosis.diagnose(now, history: hist)
        let old = findings.first { $0.rule == .oldInFlightOp }
        XCTAssertEqual(old?.subject, "slot 3")
        XCTAssertEqual(old?.evidence["typicalLatencySeconds"] ?? 0, 0.005, accuracy: 0.001)
        XCTAssertTrue(old?.message.contains("responder took it") ?? false)
        // With a minimum age above its age, nothing.
        XCTAssertEqual(Diagnosis.diagnose(now, history: hist, thresholds: Thresholds(inFlightMinimumAge: 5)), [])
    }

    func testSlotTableExhaustedWhenNothingFreed() {
        var now = T.busy(sq: (5, 5), cq: (5, 5), slotCount: 4, inFlight: 4, age: 3 * second)
        for i in 0..<4 { now.slots!.busy[i].state = .completed }
        now.slots!.counts = SlotTable.Counts(completed: 4)
        let findings = Diagnosis.diagnose(now)
        let exhausted = findings.first { $0.rule == .slotTableExhausted }
        XCTAssertTrue(exhausted?.message.contains("never released") ?? false, "\(findings)")
        XCTAssertEqual(exhausted?.culprit, .requester)
    }

    func testAllSlotsBusyButRecentlyReusedIsNotExhausted() {
        let now = T.busy(sq: (5, 9), cq: (5, 5), slotCount: 4, inFlight: 4, age: 1000)
        XCTAssertFalse(rules(Diagnosis.diagnose(now)).contains(.slotTableExhausted))
    }

    func testCorruptionOverfullQueue() {
        let now = T.busy(sq: (10, 40), inFlight: 0)
        let corrupt = Diagnosis.diagnose(now).filter { $0.rule == .corruption }
        XCTAssertEqual(corrupt.first?.evidence["used"], 30)
        // The same numbers read inconsistently (head moved during the read) are not judged.
        var racy = now
        racy.submission.isConsistent = false
        XCTAssertFalse(rules(Diagnosis.diagnose(racy)).contains(.corruption))
    }

    func testCorruptionUnknownSlotState() {
        var now = T.busy(sq: (0, 0), inFlight: 1)
        now.slots!.busy[0].state = .unknown
        now.slots!.busy[0].rawState = 0x77
        now.slots!.counts = SlotTable.Counts(free: 63, unknown: 1)
        let corrupt = Diagnosis.diagnose(now).first { $0.rule == .corruption }
        XCTAssertTrue(corrupt?.message.contains("slot 0 holds 119") ?? false, corrupt?.message ?? "none")
    }

    func testCorruptionEntryNamesFreeSlot() {
        var now = T.busy(sq: (10, 11), inFlight: 1)
        now.submission.pending[0].slotState = .free
        XCTAssertTrue(Diagnosis.diagnose(now).contains { $0.rule == .corruption && $0.message.contains("is free") })
        now.submission.pending[0].isStable = false
        XCTAssertFalse(Diagnosis.diagnose(now).contains { $0.rule == .corruption })
    }

    func testFindingsAreSortedBySeverity() {
        let now = T.busy(sq: (0, 0), inFlight: 0, requester: T.side(.requester, liveness: .dead),
                         responder: T.side(.responder, heartbeatAge: 5 * second))
        let findings = Diagnosis.diagnose(now)
        XCTAssertEqual(findings.map(\.severity), findings.map(\.severity).sorted(by: >))
        XCTAssertEqual(rules(findings), [.peerDead, .heartbeatStale])
    }

    func testExtremeThresholdsDoNotTrap() {
        var now = T.busy(sq: (10, 14), inFlight: 2, age: 5 * second)
        now.slots!.busy[1].state = .cancelled
        now.slots!.counts = SlotTable.Counts(free: 62, submitted: 1, cancelled: 1)
        XCTAssertEqual(Diagnosis.diagnose(now, thresholds: Thresholds(stallTimeout: .infinity)), [])
        XCTAssertEqual(Diagnosis.diagnose(now, thresholds: Thresholds(stallTimeout: 1e300)), [])
        XCTAssertFalse(Diagnosis.diagnose(now, thresholds: Thresholds(stallTimeout: 0)).isEmpty)
    }

    func testReportRoundTripsThroughJSON() throws {
        let now = T.busy(sq: (10, 40), inFlight: 0)
        let report = InspectReport(snapshot: now, findings: Diagnosis.diagnose(now), thresholds: .default)
        let decoded = try InspectJSON.decode(InspectReport.self, from: try InspectJSON.encode(report))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(decoded.status, .stuck)
        XCTAssertEqual(decoded.incidents.count, 1)
    }

    /// A tiny --stall-timeout must not make a side that beats every 50 ms look hung.
    func testHeartbeatTimeoutHasAFloorOfFiveBeats() {
        XCTAssertEqual(Thresholds(stallTimeout: 0.1).heartbeatTimeout, 0.25)
        XCTAssertEqual(Thresholds(stallTimeout: 2).heartbeatTimeout, 2)
        XCTAssertEqual(Thresholds(stallTimeout: 0.1, heartbeatTimeout: 0.1).heartbeatTimeout, 0.1, "an explicit value wins")
    }
}
