import CEvering
import Foundation
import Synchronization
import XCTest
@testable import Evering
@testable import EveringInspect

/// The `lost-wake-up` rule on a real ring put into that state by hand, as a buggy foreign
/// implementation would leave it: entries published into the submission queue, and the
/// responder's wait record saying it has been asleep on that queue for a second. Judged by
/// the built `evering-top` (another process, read-only), and in process.
final class LostWakeUpLiveRingTests: XCTestCase {
    var names: [RingName] = []

    override func tearDown() {
        for name in names { try? unlinkRing(name) }
        names = []
    }

    /// A ring with both sides attached here and `entries` requests in its submission queue
    /// that nobody takes. The requester published them while the responder was running, so
    /// it (correctly) woke nobody.
    func ringWithWaitingEntries(_ label: String, entries: Int) throws -> (Requester, Responder, RingName) {
        let name = LiveRing.uniqueName(label)
        names.append(name)
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: 16, slotCount: 8, bufferSize: 64, replaceExisting: true))
        let responder = try Responder.open(name)
        for _ in 0..<entries { XCTAssertNotNil(requester.trySubmit(opcode: 7, length: 0)) }
        return (requester, responder, name)
    }

    /// The responder's consumer wait on the SQ, written as a sleeper would (docs/ABI.md
    /// "Wake-ups (futex)", sleeper steps 2-3): `since_ns`, `cpu`, then `sleeping` = 1. Only
    /// the test writes it; the sides in this process never wait here.
    func announceSleep(_ region: SharedRegion, since: UInt64) {
        let block = region.queueBlock(region.layout.queue(.submission))
        block.pointee.consumer_wait.since_ns = since
        block.pointee.consumer_wait.cpu = 1  // 1 + CPU 0
        block.pointee.consumer_wait.sleeping = EV_SLEEPING.rawValue
    }

    func testTheBinaryReportsAConsumerAsleepOnANonEmptyQueue() throws {
        let (requester, responder, name) = try ringWithWaitingEntries("lostwake", entries: 3)
        defer { responder.detach(); requester.detach() }
        let binary = try Binary(for: self)
        // Before: the entries simply wait (a stall, after its timeout), no lost wake-up.
        let before = try binary.run(["dump", name.path, "--json"])
        XCTAssertEqual(before.status, 0, before.stderr)
        let healthy = try InspectJSON.decode(InspectReport.self, from: before.stdout)
        XCTAssertFalse(healthy.findings.contains { $0.rule == .lostWakeUp }, "\(healthy.findings)")
        XCTAssertEqual(healthy.snapshot.waiter(.submission, .consumer)?.activity, .running)

        announceSleep(requester.region, since: Clock.monotonicNanoseconds - 1_000_000_000)

        // dump: two reads 200 ms apart, both with the same tail and the same sleep.
        let dumped = try binary.run(["dump", name.path, "--json"])
        XCTAssertEqual(dumped.status, 0, dumped.stderr)
        let report = try InspectJSON.decode(InspectReport.self, from: dumped.stdout)
        let wait = try XCTUnwrap(report.snapshot.waiter(.submission, .consumer))
        XCTAssertTrue(wait.sleeping)
        XCTAssertEqual(wait.cpu, 0)
        XCTAssertGreaterThanOrEqual(wait.ageNanoseconds ?? 0, 1_000_000_000)
        XCTAssertEqual(report.snapshot.responder?.capabilities?.contains(.wakesPeer), true)
        let finding = try XCTUnwrap(report.findings.first { $0.rule == .lostWakeUp }, "\(report.findings)")
        XCTAssertEqual(finding.subject, "sq")
        XCTAssertEqual(finding.culprit, .requester)
        XCTAssertEqual(finding.severity, .critical)
        XCTAssertEqual(finding.evidence["used"], 3)
        XCTAssertEqual(report.status, .stuck)

        // check: exit 1, the lost wake-up is the root cause.
        let checked = try binary.run(["check", name.path, "--json", "--stall-timeout", "0.3"])
        XCTAssertEqual(checked.status, 1, checked.stdout + checked.stderr)
        let verdict = try InspectJSON.decode(InspectReport.self, from: checked.stdout)
        XCTAssertEqual(verdict.status, .stuck)
        XCTAssertEqual(verdict.incidents.first?.rootCause.rule, .lostWakeUp, "\(verdict.incidents)")
        XCTAssertEqual(verdict.incidents.first?.culprit, .requester)

        // list: the same word and root cause for this ring.
        let listed = try binary.run(["list", "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let listing = try XCTUnwrap(try InspectJSON.decode([RingListing].self, from: listed.stdout).first { $0.name == name.path },
                                    listed.stdout)
        XCTAssertEqual(listing.status.rawValue, RingStatus.stuck.rawValue)
        XCTAssertEqual(listing.incidents?.first?.rootCause.rule, .lostWakeUp)

        // The text dump shows the sleep and names the rule.
        let text = try binary.run(["dump", name.path])
        XCTAssertTrue(text.stdout.contains("sq consumer  asleep "), text.stdout)
        XCTAssertTrue(text.stdout.contains("CRIT     lost-wake-up"), text.stdout)

        // Woken (the producer exchanges sleeping to 0) and the entries taken: nothing left.
        let block = requester.region.queueBlock(requester.region.layout.queue(.submission))
        (block.pointee.consumer_wait.sleeping, block.pointee.consumer_wait.since_ns) = (EV_AWAKE.rawValue, 0)
        while let request = responder.tryReceive() { XCTAssertTrue(responder.tryComplete(request, length: 0)) }
        requester.reap { requester.release($0.op) }
        let after = try binary.run(["check", name.path, "--json", "--stall-timeout", "0.3"])
        XCTAssertEqual(after.status, 0, after.stdout + after.stderr)
    }

    func testAConsumerAsleepOnAnEmptyQueueIsNotALostWakeUp() throws {
        let (requester, responder, name) = try ringWithWaitingEntries("sleepempty", entries: 0)
        defer { responder.detach(); requester.detach() }
        announceSleep(requester.region, since: Clock.monotonicNanoseconds - 1_000_000_000)
        let reader = try SnapshotReader(attaching: name)
        let findings = try LiveRing.findingsWhileSampling(reader, thresholds: .default, seconds: 0.4)
        XCTAssertEqual(findings, [])
        XCTAssertEqual(try reader.snapshot().waiter(.submission, .consumer)?.activity, .asleep)
        // The same record with one entry published behind its back: found in process too.
        XCTAssertNotNil(requester.trySubmit(opcode: 7, length: 0))
        // The library's requester saw `sleeping` and woke it (as it must): the record is
        // cleared, so no lost wake-up. Re-announce, as a sleeper that missed it would be.
        XCTAssertFalse(try reader.snapshot().waiter(.submission, .consumer)?.sleeping ?? true,
                       "the library's publish takes the sleeping flag")
        announceSleep(requester.region, since: Clock.monotonicNanoseconds - 500_000_000)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: .default, timeout: 3) { $0.rule == .lostWakeUp }
        XCTAssertEqual(found.first?.culprit, .requester, "\(found)")
    }

    /// A 1.0 ring's wait-record bytes are reserved: whatever they hold is not read, shown
    /// or judged (here a 1.0 writer's stray bytes that would read as "asleep since long ago"
    /// over a non-empty queue, a lost wake-up in a 1.1 ring).
    func testA10RingsReservedBytesAreNeverReadAsWaitRecords() throws {
        let name = LiveRing.uniqueName("abi10")
        names.append(name)
        let region = try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        region.header.pointee.abi_minor = 0
        let sq = region.queueBlock(region.layout.queue(.submission))
        sq.pointee.tail = 2
        (sq.pointee.consumer_wait.sleeping, sq.pointee.consumer_wait.since_ns) = (1, 1)
        region.side(.responder).pointee.capabilities = 0xffff_ffff
        let reader = try SnapshotReader(attaching: name)
        let snapshot = try reader.snapshot()
        XCTAssertNil(snapshot.responder?.waits)
        XCTAssertNil(snapshot.responder?.capabilities)
        XCTAssertNil(snapshot.waiter(.submission, .consumer))
        XCTAssertEqual(Sample(snapshot).submission.consumerAsleepSince, nil)
        let text = ReportText.dump(InspectReport(snapshot: snapshot, findings: [], thresholds: .default))
        XCTAssertTrue(text.contains("wait state n/a (ABI 1.0 ring"), text)
        XCTAssertFalse(text.contains("asleep"), text)
        let findings = try LiveRing.findingsWhileSampling(reader, thresholds: .default, seconds: 0.3)
        XCTAssertFalse(findings.contains { $0.rule == .lostWakeUp }, "\(findings)")
    }

    /// The library's own sleeper, and a wake-up really lost: a responder thread blocks in
    /// `receive` on an empty queue and goes to sleep on its futex; the test hides the flag
    /// while the requester publishes (so the requester sees nobody asleep and wakes nobody,
    /// as a buggy producer would), then puts it back. The inspector reports the lost wake-up
    /// while the responder sleeps on; its 1 s backstop ends the sleep, it takes the entry, and
    /// counts a late wake.
    func testAWakeUpLostByTheLibrarysSleeperIsFoundAndCountedLate() throws {
        let (requester, responder, name) = try ringWithWaitingEntries("reallost", entries: 0)
        defer { responder.detach(); requester.detach() }
        let received = Atomic<Bool>(false)
        let threadName = "lostwake-\(getpid() % 10000)"  // /proc comm: at most 15 bytes
        let thread = Thread {
            try? threadName.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)  // the name in /proc
            if let request = try? responder.receive(timeout: .seconds(10)) {
                received.store(true, ordering: .releasing)
                try? responder.complete(request, length: 0)
            }
        }
        thread.start()
        let block = requester.region.queueBlock(requester.region.layout.queue(.submission))
        let sleeping = ev_waiter_sleeping_ptr(ev_queue_consumer_wait_ptr(block))!
        // Asleep in the kernel: its flag is up and the thread waits in a futex (wchan).
        func sleeperWaitsInAFutex() -> Bool {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.contains { task in
                let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
                let wchan = (try? String(contentsOfFile: "/proc/self/task/\(task)/wchan", encoding: .utf8)) ?? ""
                return comm.trimmingCharacters(in: .whitespacesAndNewlines) == threadName && wchan.contains("futex")
            }
        }
        XCTAssertTrue(LiveRing.waitUntil(timeout: 10) { ev_load_relaxed_u32(sleeping) == EV_SLEEPING.rawValue && sleeperWaitsInAFutex() },
                      "the responder never went to sleep on its futex")

        ev_store_relaxed_u32(sleeping, EV_AWAKE.rawValue)  // Relaxed: the test is the only other writer now.
        XCTAssertNotNil(requester.trySubmit(opcode: 7, length: 0))
        ev_store_relaxed_u32(sleeping, EV_SLEEPING.rawValue)
        let reader = try SnapshotReader(attaching: name)
        let (found, _) = try LiveRing.pollFindings(reader, thresholds: .default, timeout: 5) { $0.rule == .lostWakeUp }
        XCTAssertEqual(found.first?.culprit, .requester, "the inspector did not see the lost wake-up")

        XCTAssertTrue(LiveRing.waitUntil(timeout: 10) { received.load(ordering: .acquiring) }, "the backstop never ended the sleep")
        let wait = try XCTUnwrap(try reader.snapshot().waiter(.submission, .consumer))
        XCTAssertEqual(wait.lateWakes, 1, "the sleeper counts the wake-up it missed")
        XCTAssertEqual(wait.activity, .running)
    }
}
