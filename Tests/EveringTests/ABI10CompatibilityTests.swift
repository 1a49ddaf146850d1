import CEvering
import XCTest
@testable import Evering

/// A 1.1 build reads (and joins) a ring written by a 1.0 writer: `abi_minor` 0, every 1.1
/// field zero (docs/ABI.md "Compatibility").
final class ABI10CompatibilityTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    /// A ring as a 1.0 creator and 1.0 requester leave it: minor 0, no writer features, a
    /// requester block without owner word, pid namespace, capabilities or claims.
    func make10Ring(inFlight: Int) throws -> (RingName, SharedRegion) {
        let name = names.make("abi10")
        let region = try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        region.header.pointee.abi_minor = 0
        region.header.pointee.writer_features = 0
        let me = ProcessIdentity.current
        let block = region.side(.requester)
        block.pointee.pid = me.pid
        block.pointee.start_time = me.startTime
        block.pointee.heartbeat_ns = ev_monotonic_ns()
        block.pointee.state = EV_SIDE_ATTACHED.rawValue
        region.header.pointee.refcount = 1
        for index in 0..<inFlight {
            let slot = region.slots + index
            slot.pointee.generation = 1
            slot.pointee.opcode = 9
            slot.pointee.length = 16
            slot.pointee.user_data = UInt64(index)
            slot.pointee.state = EV_SLOT_SUBMITTED.rawValue
        }
        return (name, region)
    }

    func testA11ReaderReadsA10RingAndIgnoresThe11Fields() throws {
        let (name, _) = try make10Ring(inFlight: 3)
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.header.abiMinor, 0)
        XCTAssertEqual(observer.header.writerFeatures, 0)
        let side = observer.side(.requester)
        XCTAssertEqual(side.state, .attached)
        XCTAssertEqual(side.identity.pid, getpid())
        XCTAssertNil(side.owner, "no owner word in a 1.0 ring")
        XCTAssertNil(side.claims)
        XCTAssertNil(side.pidNamespace)
        // Slots with seq 0 read as one copy each.
        let record = try XCTUnwrap(observer.readSlot(2))
        XCTAssertEqual(record.state, .submitted)
        XCTAssertEqual(record.opcode, 9)
        XCTAssertEqual(record.userData, 2)
        var busy: [UInt32] = []
        var states: [UInt32] = []
        observer.slotStates(into: &states)
        states.withUnsafeBufferPointer { raw in observer.forEachBusySlot(states: raw) { index, record in
            XCTAssertNotNil(record)
            busy.append(index)
        } }
        XCTAssertEqual(busy, [0, 1, 2])
    }

    func testA11SideJoinsA10RingItsLive10HolderKeeps() throws {
        let (name, region) = try make10Ring(inFlight: 0)
        XCTAssertThrowsError(try Requester.open(name), "the 1.0 holder is alive (it is us)") {
            XCTAssertEqual($0 as? RingError, .sideTaken(side: .requester, pid: getpid()))
        }
        let responder = try Responder.open(name)
        XCTAssertEqual(region.header.pointee.refcount, 2)
        XCTAssertEqual(region.side(.responder).pointee.owner, SideOwner(.current).rawValue,
                       "a 1.1 side claims by CAS on a 1.0 ring too (reserved bytes there)")
        XCTAssertEqual(region.header.pointee.abi_minor, 0, "joining does not change the ring's version")
        responder.detach()
        XCTAssertEqual(region.header.pointee.refcount, 1)
    }

    func testNewRingsAre11WithEveryWriterFeature() throws {
        let name = names.make("abi11")
        let requester = try Requester.create(name)
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.header.abiMinor, 1)
        XCTAssertEqual(observer.header.writerFeatures, UInt32(3))
        let side = observer.side(.requester)
        XCTAssertEqual(side.owner, SideOwner(.current))
        XCTAssertEqual(side.claims, 1)
        // The driver's seqlock, and the wake-up protocol (issue 13).
        XCTAssertEqual(side.capabilities, EV_CAP_SLOT_SEQ.rawValue | EV_CAP_WAKES_PEER.rawValue)
        XCTAssertEqual(side.pidNamespace, PidNamespace.current)
        let op = try requester.submit(opcode: 1, length: 0)
        XCTAssertEqual(requester.region.slots[Int(op.slot)].seq, 2, "one rewrite under the seqlock: +2")
    }
}
