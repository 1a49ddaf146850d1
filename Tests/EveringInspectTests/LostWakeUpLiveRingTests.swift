import CEvering
import Foundation
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
}
