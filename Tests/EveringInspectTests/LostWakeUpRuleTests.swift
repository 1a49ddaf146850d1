import XCTest
@testable import EveringInspect

/// The `lost-wake-up` rule over hand-built snapshots: fires on a waiter asleep through what
/// it waits for, unchanged in two samples at least 100 ms apart; silent on each near miss.
final class LostWakeUpRuleTests: XCTestCase {
    typealias T = TestSnapshots
    let second = TestSnapshots.second
    let ms: UInt64 = 1_000_000
    /// When the sleeper announced sleep (monotonic ns on the test clock).
    let since: UInt64 = 99 * TestSnapshots.second

    /// A 1.1 ring at `time` whose SQ holds `sq`, with the responder's SQ consumer wait as given
    /// (`asleepSince` nil: running) and the requester's SQ producer wait as given.
    func ring(time: UInt64, sq: (UInt64, UInt64) = (10, 14), asleepSince: UInt64? = 99 * TestSnapshots.second,
              sleeping: Bool = true, producerAsleepSince: UInt64? = nil,
              requesterCaps: SideCapabilities = [.wakesPeer, .slotSeq], responderCaps: SideCapabilities = .wakesPeer,
              requesterLiveness: Liveness = .alive, responderLiveness: Liveness = .alive) -> Snapshot {
        func wait(_ kind: QueueKind, _ role: WaiterRole, _ since: UInt64?, sleeping: Bool) -> WaiterStatus {
            WaiterStatus(queue: kind, role: role, sleeping: sleeping && since != nil, sinceNanoseconds: since,
                         ageNanoseconds: since.map { time - $0 }, wakes: 5, lateWakes: 0)
        }
        var requester = T.side(.requester, liveness: requesterLiveness)
        requester.capabilities = requesterCaps
        requester.waits = [wait(.completion, .consumer, nil, sleeping: false),
                           wait(.submission, .producer, producerAsleepSince, sleeping: true)]
        var responder = T.side(.responder, liveness: responderLiveness, pid: 4343)
        responder.capabilities = responderCaps
        responder.waits = [wait(.submission, .consumer, asleepSince, sleeping: sleeping),
                           wait(.completion, .producer, nil, sleeping: false)]
        var snapshot = T.busy(time: time, sq: sq, cq: (0, 0), inFlight: Int(sq.1 - sq.0), age: 1000,
                              requester: requester, responder: responder)
        snapshot.header?.abiMinor = 1
        return snapshot
    }

    /// Samples every 20 ms in [from, to) on the test clock, built by `make`.
    func history(from: UInt64, to: UInt64, _ make: (UInt64) -> Snapshot) -> [Sample] {
        stride(from: from, to: to, by: Int(20 * ms)).map { Sample(make($0)) }
    }

    func lost(_ findings: [Finding]) -> [Finding] { findings.filter { $0.rule == .lostWakeUp } }

    func testFiresOnAConsumerAsleepOnANonEmptyQueueUnchangedFor100ms() throws {
        let now = 100 * second
        let hist = history(from: now - 120 * ms, to: now) { ring(time: $0) }
        let findings = Diagnosis.diagnose(ring(time: now), history: hist)
        let finding = try XCTUnwrap(lost(findings).first, "\(findings)")
        XCTAssertEqual(finding.severity, .critical)
        XCTAssertEqual(finding.subject, "sq")
        XCTAssertEqual(finding.culprit, .requester, "the producer published without waking")
        XCTAssertEqual(finding.evidence["unchangedSeconds"] ?? 0, 0.12, accuracy: 0.001)
        XCTAssertEqual(finding.evidence["asleepSeconds"] ?? 0, 1, accuracy: 0.001)
        XCTAssertEqual(finding.evidence["used"], 4)
        XCTAssertTrue(finding.message.contains("responder (pid 4343) has been asleep on the submission queue, waiting for entries, while 4 entries wait there"),
                      finding.message)
        XCTAssertTrue(finding.message.contains("requester (pid 4242) published them without waking it"), finding.message)
        // Two samples exactly 100 ms apart are enough (the issue's window, inclusive).
        let two = [Sample(ring(time: now - 100 * ms))]
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: two)).count, 1)
        // The report: STUCK, one incident whose root cause it is.
        let report = InspectReport(snapshot: ring(time: now), findings: findings, thresholds: .default)
        XCTAssertEqual(report.status, .stuck)
        XCTAssertEqual(report.incidents.first?.rootCause.rule, .lostWakeUp)
    }

    func testSilentWhenTheSamplesAreLessThan100msApart() {
        let now = 100 * second
        let hist = history(from: now - 80 * ms, to: now) { ring(time: $0) }
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: hist)), [])
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now))), [], "one sample says nothing")
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: [Sample(ring(time: now - 99 * ms))])), [])
    }

    func testSilentWhenTheTailMoved() {
        let now = 100 * second
        // The producer published the last entry 60 ms ago (and was right not to wake a
        // sleeper it had already woken for the earlier ones, or one that announced later).
        let hist = history(from: now - 200 * ms, to: now) { t in ring(time: t, sq: (10, t < now - 60 * ms ? 13 : 14)) }
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: hist)), [])
    }

    func testSilentWhenTheHeadMoved() {
        let now = 100 * second
        let hist = history(from: now - 200 * ms, to: now) { t in ring(time: t, sq: (t < now - 60 * ms ? 9 : 10, 14)) }
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: hist)), [])
    }

    func testSilentWhenSinceChanged() {
        let now = 100 * second
        // A new wait episode 50 ms ago: it was woken, went back to sleep, and may be woken again.
        let hist = history(from: now - 200 * ms, to: now) { t in
            ring(time: t, asleepSince: t < now - 50 * ms ? since : now - 50 * ms)
        }
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now, asleepSince: now - 50 * ms), history: hist)), [])
    }

    func testSilentWhenItWokeInBetween() {
        let now = 100 * second
        // Same episode, same indices, but one sample shows it awake (re-checking the queue).
        let hist = history(from: now - 200 * ms, to: now) { t in ring(time: t, sleeping: t != now - 40 * ms) }
        XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now), history: hist)), [])
    }

    func testSilentWhenTheQueueIsEmpty() {
        let now = 100 * second
        let hist = history(from: now - 500 * ms, to: now) { ring(time: $0, sq: (14, 14)) }
        XCTAssertEqual(Diagnosis.diagnose(ring(time: now, sq: (14, 14)), history: hist), [],
                       "asleep on an empty queue is what a waiting consumer does")
    }

    func testSilentWhenNotAsleep() {
        let now = 100 * second
        // In its wait episode but not on the futex (re-checking, or woken and not yet running),
        // and plain running: the queue's own stall rules judge those.
        for (asleepSince, sleeping) in [(Optional(since), false), (nil, false)] {
            let hist = history(from: now - 500 * ms, to: now) { ring(time: $0, asleepSince: asleepSince, sleeping: sleeping) }
            XCTAssertEqual(lost(Diagnosis.diagnose(ring(time: now, asleepSince: asleepSince, sleeping: sleeping), history: hist)), [])
        }
    }

    func testSilentWithoutWaitRecords() {
        // A 1.0 ring (or an io_uring) has none: nothing to judge.
        let now = 100 * second
        func plain(_ t: UInt64) -> Snapshot { T.busy(time: t, sq: (10, 14), cq: (0, 0), age: 1000) }
        let hist = history(from: now - 500 * ms, to: now, plain)
        XCTAssertEqual(lost(Diagnosis.diagnose(plain(now), history: hist)), [])
    }

    func testSilentWhenASideIsStoppedOrGone() {
        // A sleeper stopped between announcing sleep and its re-check, or a waker stopped
        // between publishing and waking, looks the same: side-stopped / peer-dead say it.
        let now = 100 * second
        for (requester, responder) in [(Liveness.alive, Liveness.stopped), (.stopped, .alive), (.dead, .alive), (.alive, .zombie)] {
            let make = { (t: UInt64) in self.ring(time: t, requesterLiveness: requester, responderLiveness: responder) }
            let findings = Diagnosis.diagnose(make(now), history: history(from: now - 200 * ms, to: now, make))
            XCTAssertEqual(lost(findings), [], "\(requester) \(responder)")
        }
    }

    func testAProducerAsleepOnAQueueWithSpace() throws {
        let now = 100 * second
        let make = { (t: UInt64) in self.ring(time: t, asleepSince: nil, sleeping: false, producerAsleepSince: self.since) }
        let findings = Diagnosis.diagnose(make(now), history: history(from: now - 200 * ms, to: now, make))
        let finding = try XCTUnwrap(lost(findings).first, "\(findings)")
        XCTAssertEqual(finding.subject, "sq space")
        XCTAssertEqual(finding.culprit, .responder, "the consumer made room without waking the producer")
        XCTAssertTrue(finding.message.contains("requester (pid 4242) has been asleep on the submission queue, waiting for space, while 12 of its 16 entries are free"),
                      finding.message)
        // The same producer asleep on a full queue is waiting, as it should.
        let full = { (t: UInt64) in self.ring(time: t, sq: (10, 26), asleepSince: nil, sleeping: false, producerAsleepSince: self.since) }
        XCTAssertEqual(lost(Diagnosis.diagnose(full(now), history: history(from: now - 200 * ms, to: now, full))), [])
    }

    func testASleeperWhosePeerNeverPromisedToWakeIsItselfTheCulprit() throws {
        // A 1.0 requester (no wakes-peer) on a 1.1 ring: a consumer that sleeps on the futex
        // anyway broke the protocol (it must back off instead).
        let now = 100 * second
        let make = { (t: UInt64) in self.ring(time: t, requesterCaps: []) }
        let finding = try XCTUnwrap(lost(Diagnosis.diagnose(make(now), history: history(from: now - 200 * ms, to: now, make))).first)
        XCTAssertEqual(finding.culprit, .responder)
        XCTAssertEqual(finding.evidence["wakerAdvertisesWakes"], 0)
        XCTAssertTrue(finding.message.contains("does not advertise wakes-peer"), finding.message)
    }

    func testTheStallItCausesJoinsItsIncident() throws {
        // Asleep for 2 s with the head unmoved: consumer-stalled fires too, and is explained
        // by the lost wake-up (one incident blaming the requester, not a second blaming the
        // responder).
        let now = 100 * second
        let hist = history(from: now - 2 * second, to: now) { ring(time: $0, asleepSince: 98 * second) }
        let findings = Diagnosis.diagnose(ring(time: now, asleepSince: 98 * second), history: hist)
        XCTAssertEqual(Set(findings.map(\.rule)), [.lostWakeUp, .consumerStalled], "\(findings)")
        let incidents = Incident.group(findings)
        XCTAssertEqual(incidents.count, 1, "\(incidents)")
        XCTAssertEqual(incidents.first?.rootCause.rule, .lostWakeUp)
        XCTAssertEqual(incidents.first?.symptoms.map(\.rule), [.consumerStalled])
        XCTAssertEqual(incidents.first?.culprit, .requester)
    }

    func testDumpShowsEachSidesWaitStateAndCapabilities() throws {
        let now = 100 * second
        var snapshot = ring(time: now)
        snapshot.responder?.waits?[0].cpu = 1
        snapshot.requester?.capabilities = []
        let text = ReportText.dump(InspectReport(snapshot: snapshot, findings: [], thresholds: .default))
        let lines = text.split(separator: "\n").map(String.init)
        let requester = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("requester ") }, text)
        XCTAssertEqual(lines[requester + 1], "            capabilities none", text)
        XCTAssertEqual(lines[requester + 2], "            cq consumer  running, wakes 5, late wakes 0", text)
        XCTAssertEqual(lines[requester + 3], "            sq producer  running, wakes 5, late wakes 0", text)
        let responder = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("responder ") }, text)
        XCTAssertEqual(lines[responder + 1], "            capabilities wakes-peer", text)
        XCTAssertEqual(lines[responder + 2], "            sq consumer  asleep 1.0s (waiting for entries), cpu 1, wakes 5, late wakes 0", text)
        // In its episode but off the futex.
        snapshot.responder?.waits?[0].sleeping = false
        XCTAssertTrue(ReportText.dump(InspectReport(snapshot: snapshot, findings: [], thresholds: .default))
            .contains("sq consumer  waiting 1.0s for entries (not asleep), cpu 1"))
    }

    func testA10RingShowsNoWaitState() {
        let text = ReportText.dump(InspectReport(snapshot: T.busy(), findings: [], thresholds: .default))
        XCTAssertEqual(text.components(separatedBy: "wait state n/a (ABI 1.0 ring: no wait records or capabilities)").count, 3, text)
        XCTAssertFalse(text.contains("capabilities none"), text)
        XCTAssertFalse(text.contains("running"), text)
    }

    func testWaitStateRoundTripsThroughJSONAndOldJSONDecodes() throws {
        var snapshot = ring(time: 100 * second)
        snapshot.responder?.capabilities = SideCapabilities(rawValue: SideCapabilities.wakesPeer.rawValue | 1 << 7)
        let report = InspectReport(snapshot: snapshot, findings: [], thresholds: .default)
        let json = try InspectJSON.encode(report)
        XCTAssertTrue(json.contains(#""capabilities":["wakes-peer","bit 7"]"#), json)
        XCTAssertTrue(json.contains(#""role":"consumer""#) && json.contains(#""queue":"sq""#), json)
        XCTAssertEqual(try InspectJSON.decode(InspectReport.self, from: json), report)
        // A report written before wait records existed (schema 2 all the same: additive).
        var old = T.busy()
        old.requester?.capabilities = nil
        let oldJSON = try InspectJSON.encode(InspectReport(snapshot: old, findings: [], thresholds: .default))
        XCTAssertFalse(oldJSON.contains("waits") || oldJSON.contains("capabilities"), oldJSON)
        XCTAssertNil(try InspectJSON.decode(InspectReport.self, from: oldJSON).snapshot.requester?.waits)
        XCTAssertThrowsError(try InspectJSON.decode(SideCapabilities.self, from: #"["wakes-everyone"]"#))
    }
}
