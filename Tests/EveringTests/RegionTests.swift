import CEvering
import Foundation
import XCTest
@testable import Evering

final class RegionTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    func testCreateOpenAndObserve() throws {
        let name = names.make("open")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 64, slotCount: 8, bufferSize: 256))
        let responder = try Responder.open(name)
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.header.refcount, 2)
        XCTAssertEqual(observer.header.creatorPID, getpid())
        XCTAssertEqual(observer.side(.requester).state, .attached)
        XCTAssertEqual(observer.side(.responder).identity, ProcessIdentity.current)
        XCTAssertEqual(observer.layout, requester.region.layout)

        let op = try requester.submit(opcode: 7, length: 5) { $0.copyBytes(from: Array("hello".utf8)) }
        XCTAssertEqual(observer.queue(.submission).used, 1)
        XCTAssertEqual(observer.entry(.submission, at: 0).op_id, op.rawValue)
        XCTAssertEqual(observer.slot(op.slot).state, .submitted)

        let request = try responder.receive(timeout: .seconds(1))
        XCTAssertEqual(Array(request.payload), Array("hello".utf8))
        request.buffer.copyBytes(from: Array("HELLO!".utf8))
        try responder.complete(request, result: 0, length: 6)

        let completion = try requester.wait(for: op, timeout: .seconds(1))
        XCTAssertEqual(completion.opcode, 7)
        XCTAssertEqual(Array(requester.response(of: completion)), Array("HELLO!".utf8))
        requester.release(op)
        XCTAssertEqual(observer.slot(op.slot).state, .free)
        XCTAssertEqual(observer.queue(.completion).head, 1)

        responder.detach()
        XCTAssertEqual(observer.side(.responder).state, .detached)
        XCTAssertEqual(observer.header.refcount, 1)
        XCTAssertTrue(requester.detach(), "the last side to leave is told so")
        XCTAssertEqual(observer.header.refcount, 0)
    }

    func testCreateRefusesAnExistingNameUnlessReplacing() throws {
        let name = names.make("exists")
        _ = try Requester.create(name)
        XCTAssertThrowsError(try Requester.create(name)) { XCTAssertEqual($0 as? RingError, .alreadyExists(name.path)) }
        XCTAssertNoThrow(try Requester.create(name, configuration: .init(replaceExisting: true)))
    }

    func testObjectModeIsOwnerOnlyByDefault() throws {
        let name = names.make("mode")
        _ = try Requester.create(name)
        var st = stat()
        XCTAssertEqual(stat("/dev/shm/" + name.bare, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    func testMissingRing() {
        let name = names.make("missing")
        XCTAssertThrowsError(try RingObserver(attaching: name)) { XCTAssertEqual($0 as? RingError, .notFound(name.path)) }
    }

    func testASecondLiveProcessCannotTakeATakenSide() throws {
        let name = names.make("taken")
        let holder = try Requester.create(name)
        XCTAssertThrowsError(try Requester.open(name)) { error in
            XCTAssertEqual(error as? RingError, .sideTaken(side: .requester, pid: getpid()))
        }
        holder.detach()
        XCTAssertNoThrow(try Requester.open(name), "a detached side can be taken again")
    }

    /// Taking over a side whose holder died attached inherits the dead holder's reference:
    /// the count still says one side is attached, not two.
    func testTakingOverADeadHoldersSideKeepsTheRefcount() throws {
        let name = names.make("takeover")
        let holder = try Requester.create(name)
        // A different start time makes the recorded holder a pid-reused stranger, as if it died.
        let block = holder.region.side(.requester)
        block.pointee.start_time &+= 1
        block.pointee.owner = SideOwner(ProcessIdentity(pid: getpid(), startTime: block.pointee.start_time)).rawValue
        let successor = try Requester.open(name)
        XCTAssertEqual(try RingObserver(attaching: name).header.refcount, 1)
        XCTAssertTrue(successor.detach(), "the successor held the last reference")
    }

    /// The observer maps PROT_READ: the bytes of an idle ring are identical before and
    /// after an attach and a full read, and a write through the mapping would fault.
    func testReadOnlyAttachChangesNothing() throws {
        let name = names.make("ro")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64))
        _ = try requester.submit(opcode: 1, length: 3) { $0.copyBytes(from: [1, 2, 3]) }
        requester.detach()  // stop the heartbeat so the object is truly idle
        let before = try readRawObject(name)
        do {
            let observer = try RingObserver(attaching: name)
            XCTAssertFalse(observer.region.isWritable)
            _ = observer.header
            for side in RingSide.allCases { _ = observer.side(side) }
            for kind in RingObserver.QueueKind.allCases { _ = observer.queue(kind); _ = observer.entry(kind, at: 0) }
            for i in 0..<observer.layout.slotCount { _ = observer.slot(i) }
            var states: [UInt32] = []
            observer.slotStates(into: &states)
            XCTAssertEqual(states.first, SlotState.submitted.rawValue)
            // The mapping's protection, as the kernel reports it.
            let maps = readProcFile("/proc/self/maps")
            let start = String(UInt(bitPattern: observer.region.base), radix: 16)
            let line = maps.split(separator: "\n").first { $0.hasPrefix(start + "-") }
            XCTAssertEqual(line.map { String($0.split(separator: " ")[1].prefix(2)) }, "r-", "mapped without write permission")
        }
        XCTAssertEqual(try readRawObject(name), before)
    }

    func testUnlinkedRingStaysReadableButIsNoLongerLinked() throws {
        let name = names.make("unlinked")
        let requester = try Requester.create(name)
        let observer = try RingObserver(attaching: name)
        XCTAssertTrue(observer.isStillLinked)
        try requester.unlink()
        XCTAssertFalse(observer.isStillLinked)
        XCTAssertTrue(observer.isIntact)
        XCTAssertEqual(observer.side(.requester).state, .attached)
    }
}
