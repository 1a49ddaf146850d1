import CEvering
import XCTest
@testable import Evering

/// The ABI 1.1 claim protocol in one process (the cross-process race is ClaimRaceTests).
final class SideClaimTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    func makeRegion() throws -> (RingName, SharedRegion) {
        let name = names.make("claim")
        return (name, try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64)))
    }

    /// A process that is not running: our pid with another start time.
    var deadOwner: SideOwner {
        let me = ProcessIdentity.current
        return SideOwner(ProcessIdentity(pid: me.pid, startTime: me.startTime &+ 7))
    }

    func testOwnerWordPacksPidAndLowStartTime() {
        let owner = SideOwner(ProcessIdentity(pid: 4242, startTime: 0x1_2345_6789))
        XCTAssertEqual(owner.rawValue, 4242 | 0x2345_6789 << 32)
        XCTAssertEqual(owner.pid, 4242)
        XCTAssertEqual(owner.startTimeLow32, 0x2345_6789)
        XCTAssertTrue(SideOwner(.current).isAliveByPid)
        XCTAssertFalse(deadOwner.isAliveByPid, "same pid, other start time: a recycled pid")
    }

    func testClaimPublishesOwnerAnd10SideFieldsAndReleaseGivesThemBack() throws {
        let (_, region) = try makeRegion()
        let outcome = try SideClaim.claim(region, side: .responder, capabilities: 1)
        XCTAssertEqual(outcome, .init(tookOverFrom: nil, inheritedReference: false))
        let block = region.side(.responder)
        XCTAssertEqual(block.pointee.owner, SideOwner(.current).rawValue)
        XCTAssertEqual(block.pointee.pid, getpid(), "1.0 readers and joiners still see the pid")
        XCTAssertEqual(block.pointee.state, EV_SIDE_ATTACHED.rawValue)
        XCTAssertEqual(block.pointee.start_time, ProcessIdentity.current.startTime)
        XCTAssertEqual(block.pointee.pid_ns, PidNamespace.current)
        XCTAssertNotEqual(PidNamespace.current, 0, "/proc/self/ns/pid has an inode")
        XCTAssertEqual(block.pointee.capabilities, 1)
        XCTAssertEqual(block.pointee.claims, 1)
        XCTAssertEqual(region.header.pointee.refcount, 1)
        XCTAssertThrowsError(try SideClaim.claim(region, side: .responder)) {
            XCTAssertEqual($0 as? RingError, .sideTaken(side: .responder, pid: getpid()))
        }
        XCTAssertTrue(SideClaim.release(region, side: .responder), "the only reference")
        XCTAssertEqual(block.pointee.owner, 0)
        XCTAssertEqual(block.pointee.state, EV_SIDE_DETACHED.rawValue)
        XCTAssertEqual(region.header.pointee.refcount, 0)
        _ = try SideClaim.claim(region, side: .responder)
        XCTAssertEqual(block.pointee.claims, 2)
    }

    func testUnknownWriterFeatureIsRefusedNamingTheBits() throws {
        let (name, region) = try makeRegion()
        region.header.pointee.writer_features = supportedWriterFeatures | 0x40
        XCTAssertThrowsError(try SideClaim.claim(region, side: .requester)) {
            XCTAssertEqual($0 as? RingError, .unsupportedWriterFeatures(name.path, bits: 0x40))
            XCTAssertTrue("\($0)".contains("0x40"))
        }
        XCTAssertEqual(region.side(.requester).pointee.owner, 0, "a refused claim writes nothing")
    }

    /// A holder that died after storing DETACHED but before dropping its reference leaves the
    /// count at 2 with one side attached: the next claimant must not make it 3.
    func testRefcountNeverExceedsTwo() throws {
        let (_, region) = try makeRegion()
        let block = region.side(.requester)
        block.pointee.owner = deadOwner.rawValue
        block.pointee.pid = deadOwner.pid
        block.pointee.state = EV_SIDE_DETACHED.rawValue
        region.header.pointee.refcount = 2
        let outcome = try SideClaim.claim(region, side: .requester)
        XCTAssertEqual(outcome.tookOverFrom, deadOwner)
        XCTAssertFalse(outcome.inheritedReference)
        XCTAssertEqual(region.header.pointee.refcount, 2)
    }

    func testTakeoverOfAHolderThatDiedAttachedInheritsItsReference() throws {
        let (_, region) = try makeRegion()
        let block = region.side(.requester)
        block.pointee.owner = deadOwner.rawValue
        block.pointee.pid = deadOwner.pid
        block.pointee.state = EV_SIDE_ATTACHED.rawValue
        region.header.pointee.refcount = 1
        let outcome = try SideClaim.claim(region, side: .requester)
        XCTAssertEqual(outcome, .init(tookOverFrom: deadOwner, inheritedReference: true))
        XCTAssertEqual(region.header.pointee.refcount, 1)
    }

    /// A 1.0 holder writes no owner word; it is seen by its attached state and live pid.
    func testALive10HolderWithoutAnOwnerWordKeepsItsSide() throws {
        let (_, region) = try makeRegion()
        let block = region.side(.requester)
        let me = ProcessIdentity.current
        block.pointee.pid = me.pid
        block.pointee.start_time = me.startTime
        block.pointee.state = EV_SIDE_ATTACHED.rawValue
        XCTAssertThrowsError(try SideClaim.claim(region, side: .requester)) {
            XCTAssertEqual($0 as? RingError, .sideTaken(side: .requester, pid: me.pid))
        }
    }

    /// A rescuer that misjudged us dead took the side: our release must not free its claim.
    func testReleaseLeavesASideThatWasTakenOverAlone() throws {
        let (_, region) = try makeRegion()
        _ = try SideClaim.claim(region, side: .requester)
        let block = region.side(.requester)
        let rescuer = SideOwner(rawValue: 0x7777_0000_0001)
        block.pointee.owner = rescuer.rawValue
        XCTAssertFalse(SideClaim.release(region, side: .requester))
        XCTAssertEqual(block.pointee.owner, rescuer.rawValue)
        XCTAssertEqual(block.pointee.state, EV_SIDE_ATTACHED.rawValue)
        XCTAssertEqual(region.header.pointee.refcount, 1)
    }

    /// An owner from another pid namespace is judged by its heartbeat: its pid means nothing here.
    func testAnOwnerInAnotherPidNamespaceIsJudgedByItsHeartbeat() throws {
        let (_, region) = try makeRegion()
        let block = region.side(.requester)
        // A pid that is alive here (ours), recorded from another namespace.
        let stranger = SideOwner(.current)
        block.pointee.owner = stranger.rawValue
        block.pointee.pid = stranger.pid
        block.pointee.pid_ns = PidNamespace.current &+ 1
        block.pointee.state = EV_SIDE_ATTACHED.rawValue
        block.pointee.heartbeat_ns = ev_monotonic_ns()
        XCTAssertTrue(SideClaim.isAlive(stranger, block: block, pidNamespace: PidNamespace.current), "fresh heartbeat")
        block.pointee.heartbeat_ns = ev_monotonic_ns() - 2 * SideClaim.heartbeatTimeout
        XCTAssertFalse(SideClaim.isAlive(stranger, block: block, pidNamespace: PidNamespace.current),
                       "stale heartbeat: dead, although its pid number is alive here")
        // Same namespace: the pid decides, whatever the heartbeat.
        block.pointee.pid_ns = PidNamespace.current
        XCTAssertTrue(SideClaim.isAlive(stranger, block: block, pidNamespace: PidNamespace.current))
    }
}

/// The SIGBUS guard of read-only mappings: it absorbs faults in a guarded range and chains
/// every other SIGBUS to the handler installed before it.
final class BusGuardTests: XCTestCase {
    func testAFaultOutsideTheGuardStillReachesThePreviousHandler() throws {
        let names = RingNames()
        defer { names.cleanUp() }
        let name = names.make("sigbus")
        let helper = Process()
        helper.executableURL = builtExecutable("evering-race-helper")
        helper.arguments = ["fault-outside-guard", name.path]
        let out = Pipe(), err = Pipe()
        helper.standardOutput = out
        helper.standardError = err
        try helper.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        helper.waitUntilExit()
        XCTAssertTrue(stdout.contains("guarded read survived: 0, faults 1"), stdout + stderr)
        XCTAssertFalse(stdout.contains("unguarded read survived"))
        XCTAssertEqual(helper.terminationReason, .uncaughtSignal, stderr)
        XCTAssertEqual(helper.terminationStatus, SIGBUS)
        // Swift's backtracer (installed at startup, before the guard) reported the crash.
        XCTAssertTrue(stderr.contains("Signal 7: Backtracing"), stderr)
    }
}

/// A peer in another pid namespace, as the side's own blocking calls see it.
final class PeerMonitorNamespaceTests: XCTestCase {
    func testAPeerFromAnotherPidNamespaceIsJudgedByItsHeartbeat() throws {
        let names = RingNames()
        defer { names.cleanUp() }
        let name = names.make("peerns")
        let responder = try Responder.create(name)
        let block = responder.region.side(.requester)
        block.pointee.pid = 999_999_999  // no such pid here
        block.pointee.pid_ns = PidNamespace.current &+ 1
        block.pointee.heartbeat_ns = ev_monotonic_ns()
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_ATTACHED.rawValue)
        XCTAssertNoThrow(try responder.peer.check(), "beating in its own namespace: alive")
        block.pointee.heartbeat_ns = ev_monotonic_ns() - 1_000_000_000
        XCTAssertThrowsError(try responder.peer.check()) {
            XCTAssertEqual($0 as? RingError, .peerDead(side: .requester, pid: 999_999_999))
        }
        block.pointee.pid_ns = PidNamespace.current
        block.pointee.heartbeat_ns = ev_monotonic_ns()
        XCTAssertThrowsError(try responder.peer.check(), "our namespace: the (missing) pid decides")
        responder.detach()
    }
}
