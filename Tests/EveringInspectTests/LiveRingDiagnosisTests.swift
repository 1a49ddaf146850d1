import Foundation
import Synchronization
import XCTest
import Evering
@testable import EveringInspect

/// Every rule triggered by a real ring put into that state through the library (both sides
/// in this process, or a spawned echo-responder for dead and hung peers), and silence on
/// a healthy busy ring and an idle one. Thresholds are shortened to keep the tests quick.
final class LiveRingDiagnosisTests: XCTestCase {
    let quick = Thresholds(stallTimeout: 0.3)
    /// For the "no findings" tests: the product defaults (the no-false-positive promise is
    /// made for them), so a thread starved for a few hundred ms on a loaded 2-core machine
    /// is not taken for a hang.
    let calm = Thresholds.default
    var names: [RingName] = []
    var children: [Process] = []

    override func tearDown() {
        for child in children where child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        for name in names { try? unlinkRing(name) }
        names = []
        children = []
    }

    func makeRing(_ label: String, sq: UInt32 = 64, slots: UInt32 = 32) throws -> (Requester, RingName) {
        let name = LiveRing.uniqueName(label)
        names.append(name)
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: sq, slotCount: slots, bufferSize: 64, replaceExisting: true))
        return (requester, name)
    }

    func rules(_ findings: [Finding]) -> Set<Finding.Rule> { Set(findings.map(\.rule)) }

    /// Issue 12: a second process on one side is CRITICAL, whether it shows as a refcount
    /// above 2 or as a side block written by another pid than the owner word names (what an
    /// ABI 1.0 joiner that checks-then-writes leaves when it races a claim).
    func testDoubleAttachIsCritical() throws {
        let (requester, name) = try makeRing("double")
        defer { requester.detach() }
        let responder = try Responder.open(name)
        defer { responder.detach() }
        let clean = Diagnosis.diagnose(try SnapshotReader(attaching: name).snapshot(), thresholds: quick)
        XCTAssertFalse(rules(clean).contains(.doubleAttach), "\(clean)")

        // A 1.0-style joiner (a live process: here the test runner's parent) overwrote the
        // responder block with its own identity.
        let block = requester.region.side(.responder)
        let (owner, ownerStart) = (block.pointee.pid, block.pointee.start_time)
        let intruder = getppid()
        block.pointee.pid = intruder
        block.pointee.start_time = try XCTUnwrap(ProcessIdentity.startTime(of: intruder))
        var findings = Diagnosis.diagnose(try SnapshotReader(attaching: name).snapshot(), thresholds: quick)
        var double = try XCTUnwrap(findings.first { $0.rule == .doubleAttach }, "\(findings)")
        XCTAssertEqual(double.severity, .critical)
        XCTAssertEqual(double.subject, "responder")
        XCTAssertTrue(double.message.contains("pid \(intruder)") && double.message.contains("pid \(owner)"), double.message)
        (block.pointee.pid, block.pointee.start_time) = (owner, ownerStart)

        // ... and counted itself in.
        requester.region.header.pointee.refcount = 3
        let snapshot = try SnapshotReader(attaching: name).snapshot()
        findings = Diagnosis.diagnose(snapshot, thresholds: quick)
        double = try XCTUnwrap(findings.first { $0.rule == .doubleAttach }, "\(findings)")
        XCTAssertEqual(double.subject, "header")
        XCTAssertEqual(RingStatus.of(snapshot, incidents: Incident.group(findings)), .stuck, "check must not say healthy")
        requester.region.header.pointee.refcount = 2
    }

    func testIdleRingHasNoFindings() throws {
        let (requester, name) = try makeRing("idle")
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        let reader = try SnapshotReader(attaching: name)
        let findings = try LiveRing.findingsWhileSampling(reader, thresholds: calm, seconds: 1.5)
        XCTAssertEqual(findings, [])
        let snapshot = try reader.snapshot()
        XCTAssertEqual(snapshot.requester?.liveness, .alive)
        XCTAssertEqual(snapshot.responder?.state, .attached)
        XCTAssertEqual(snapshot.slots?.counts.free, 32)
    }

    func testHealthyBusyRingHasNoFindings() throws {
        let (requester, name) = try makeRing("busy", sq: 16, slots: 16)
        let responder = try Responder.open(name)
        let stop = Atomic<Bool>(false)
        let served = Atomic<Int>(0)
        // The responder answers as fast as it can on its own thread...
        let responderThread = Thread {
            while !stop.load(ordering: .relaxed) {
                if let request = responder.tryReceive() {
                    while !responder.tryComplete(request, length: 0) {
                        if stop.load(ordering: .relaxed) { return }
                        sched_yield()
                    }
                    served.add(1, ordering: .relaxed)
                } else {
                    sched_yield()  // nothing to do: let the other threads (and the heartbeat) run
                }
            }
        }
        // ...and the requester keeps the queues as full as the slots allow.
        let requesterThread = Thread {
            while !stop.load(ordering: .relaxed) {
                let submitted = requester.trySubmit(opcode: 1, length: 0) != nil
                let reaped = requester.reap { requester.release($0.op) }
                if !submitted && reaped == 0 { sched_yield() }
            }
        }
        responderThread.start()
        requesterThread.start()
        defer {
            stop.store(true, ordering: .relaxed)
            _ = LiveRing.waitUntil { responderThread.isFinished && requesterThread.isFinished }
            responder.detach()
            requester.detach()
        }
        let reader = try SnapshotReader(attaching: name)
        let findings = try LiveRing.findingsWhileSampling(reader, thresholds: calm, seconds: 1.5)
        XCTAssertEqual(Set(findings.map(\.rule)), [], "healthy busy ring must give no findings")
        XCTAssertGreaterThan(served.load(ordering: .relaxed), 1000, "the ring was not actually busy")
    }

    func testConsumerStalledWhileResponderAliveButNotReceiving() throws {
        let (requester, name) = try makeRing("stall")
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        let submitted = Clock.monotonicNanoseconds
        for _ in 0..<3 { XCTAssertNotNil(requester.trySubmit(opcode: 7, length: 0)) }
        let reader = try SnapshotReader(attaching: name)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .consumerStalled }
        let sinceSubmission = Double(Clock.monotonicNanoseconds - submitted) / 1e9
        XCTAssertEqual(found.first?.subject, "sq")
        XCTAssertEqual(found.first?.evidence["used"], 3)
        XCTAssertGreaterThanOrEqual(sinceSubmission, 0.3, "must not fire before the stall timeout")
        // A single snapshot sees it too, from the age of the op at the head.
        let oneShot = Diagnosis.diagnose(try reader.snapshot(), thresholds: quick)
        XCTAssertTrue(oneShot.contains { $0.rule == .consumerStalled && $0.evidence["headEntryAgeSeconds"] != nil })
        // Once the responder drains the queue, the finding goes away.
        while let request = responder.tryReceive() { XCTAssertTrue(responder.tryComplete(request, length: 0)) }
        requester.reap { requester.release($0.op) }
        XCTAssertEqual(Diagnosis.diagnose(try reader.snapshot(), thresholds: quick), [])
    }

    func testProducerBlockedOnFullSubmissionQueue() throws {
        let (requester, name) = try makeRing("full", sq: 4, slots: 16)
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        for _ in 0..<4 { XCTAssertNotNil(requester.trySubmit(opcode: 1, length: 0)) }
        XCTAssertNil(requester.trySubmit(opcode: 1, length: 0), "the queue should be full")
        let reader = try SnapshotReader(attaching: name)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .producerBlocked }
        XCTAssertEqual(found.first?.subject, "sq")
        XCTAssertEqual(found.first?.evidence["capacity"], 4)
        XCTAssertGreaterThanOrEqual(found.first?.evidence["fullStalls"] ?? 0, 1)
    }

    func testPeerDeadAfterResponderIsKilled() throws {
        let binary = try Binary(for: self)
        let (requester, name) = try makeRing("dead")
        defer { requester.detach() }
        let child = try binary.start(["echo-responder", name.path, "--timeout", "30"])
        children.append(child)
        let reader = try SnapshotReader(attaching: name)
        XCTAssertTrue(try LiveRing.waitUntil { try reader.snapshot().responder?.state == .attached })
        XCTAssertEqual(Diagnosis.diagnose(try reader.snapshot(), thresholds: quick), [])
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .peerDead }
        XCTAssertEqual(found.first?.subject, "responder")
        XCTAssertEqual(found.first?.evidence["pid"], Double(child.processIdentifier))
        XCTAssertEqual(try reader.snapshot().responder?.liveness, .dead)
    }

    func testStoppedResponderIsReportedAsStopped() throws {
        let binary = try Binary(for: self)
        let (requester, name) = try makeRing("hung")
        defer { requester.detach() }
        let child = try binary.start(["echo-responder", name.path, "--timeout", "30"])
        children.append(child)
        let reader = try SnapshotReader(attaching: name)
        XCTAssertTrue(try LiveRing.waitUntil { try reader.snapshot().responder?.state == .attached })
        kill(child.processIdentifier, SIGSTOP)
        defer { kill(child.processIdentifier, SIGCONT) }
        // The kernel says it is stopped (state T): reported at once, as stopped, not hung.
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .sideStopped }
        XCTAssertEqual(found.first?.subject, "responder")
        XCTAssertEqual(found.first?.severity, .critical)
        XCTAssertTrue(found.first?.message.contains("is stopped (SIGSTOP?)") ?? false, found.first?.message ?? "")
        XCTAssertFalse(found.contains { $0.rule == .heartbeatStale || $0.message.contains("hung") }, "\(found)")
        XCTAssertEqual(try reader.snapshot().responder?.liveness, .stopped)
    }

    func testLeakedCancellationWhenResponderHoldsACancelledOp() throws {
        let (requester, name) = try makeRing("cancel")
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        let op = try XCTUnwrap(requester.trySubmit(opcode: 2, length: 0))
        XCTAssertNotNil(responder.tryReceive(), "the responder takes the op and sits on it")
        XCTAssertTrue(requester.cancel(op))
        let reader = try SnapshotReader(attaching: name)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .leakedCancellations }
        XCTAssertEqual(found.first?.evidence["oldestSlot"], Double(op.slot))
        XCTAssertEqual(try reader.snapshot().slots?.counts.cancelled, 1)
    }

    func testOldInFlightOpAmongFastOnes() throws {
        let (requester, name) = try makeRing("old")
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        let lost = try XCTUnwrap(requester.trySubmit(opcode: 9, length: 0))
        XCTAssertNotNil(responder.tryReceive(), "taken and never completed")
        let reader = try SnapshotReader(attaching: name)
        // Meanwhile other ops complete quickly, giving a small typical latency.
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick, between: {
            for _ in 0..<20 {
                guard let op = requester.trySubmit(opcode: 1, length: 0), let request = responder.tryReceive() else { return }
                _ = responder.tryComplete(request, length: 0)
                _ = try? requester.wait(for: op, timeout: .seconds(1))
                requester.release(op)
            }
        }) { $0.rule == .oldInFlightOp }
        XCTAssertEqual(found.first?.subject, "slot \(lost.slot)")
        XCTAssertNotNil(found.first?.evidence["typicalLatencySeconds"])
        XCTAssertTrue(found.first?.message.contains("opcode 9") ?? false)
    }

    func testSlotTableExhaustedWhenCompletedOpsAreNeverReleased() throws {
        let (requester, name) = try makeRing("exhaust", slots: 4)
        let responder = try Responder.open(name)
        defer { responder.detach(); requester.detach() }
        for _ in 0..<4 { XCTAssertNotNil(requester.trySubmit(opcode: 1, length: 0)) }
        while let request = responder.tryReceive() { XCTAssertTrue(responder.tryComplete(request, length: 0)) }
        XCTAssertEqual(requester.reap(), 4)  // reaped, never released
        let reader = try SnapshotReader(attaching: name)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: quick) { $0.rule == .slotTableExhausted }
        XCTAssertTrue(found.first?.message.contains("never released") ?? false, found.first?.message ?? "none")
        XCTAssertEqual(try reader.snapshot().slots?.counts.completed, 4)
    }

    func testCorruptionOfQueueIndicesAndSlotStates() throws {
        let (requester, name) = try makeRing("corrupt", sq: 8, slots: 8)
        defer { requester.detach() }
        let reader = try SnapshotReader(attaching: name)
        XCTAssertEqual(Diagnosis.diagnose(try reader.snapshot(), thresholds: quick), [])
        // Write impossible values through the requester's writable mapping.
        let region = requester.region
        region.queueBlock(region.layout.completion).pointee.tail = 100  // head 0, capacity 8
        region.slots[3].state = 0x77
        let snapshot = try reader.snapshot()
        XCTAssertEqual(snapshot.completion.used, 100, "reported as read, not clamped")
        let corruption = Diagnosis.diagnose(snapshot, thresholds: quick).filter { $0.rule == .corruption }
        XCTAssertEqual(Set(corruption.map(\.subject)), ["cq", "slots"])
    }

    func testCorruptionWhenQueuedEntryNamesAFreeSlot() throws {
        let (requester, name) = try makeRing("freeslot", sq: 8, slots: 8)
        defer { requester.detach() }
        let op = try XCTUnwrap(requester.trySubmit(opcode: 4, length: 0))
        requester.region.slots[Int(op.slot)].state = 0  // free, while its request is still queued
        let findings = Diagnosis.diagnose(try SnapshotReader(attaching: name).snapshot(), thresholds: quick)
        let corruption = findings.first { $0.rule == .corruption }
        XCTAssertEqual(corruption?.subject, "sq")
        XCTAssertTrue(corruption?.message.contains("slot \(op.slot) is free") ?? false, corruption?.message ?? "none")
    }

    func testUnlinkedRingIsReportedAndTruncatedRingStopsTheReader() throws {
        let (requester, name) = try makeRing("gone")
        defer { requester.detach() }
        let reader = try SnapshotReader(attaching: name)
        XCTAssertTrue(try reader.snapshot().isStillLinked)
        // Keep a descriptor so the object can still be truncated after its name is gone.
        let fd = open("/dev/shm/" + name.bare, O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        try unlinkRing(name)
        let unlinked = try reader.snapshot()
        XCTAssertFalse(unlinked.isStillLinked)
        XCTAssertEqual(Diagnosis.diagnose(unlinked, thresholds: quick).map(\.rule), [.ringGone])
        XCTAssertEqual(ftruncate(fd, 4096), 0)
        XCTAssertThrowsError(try reader.snapshot()) { error in
            XCTAssertEqual(error as? RingError, .truncatedWhileInspected(name.path))
        }
    }
}
