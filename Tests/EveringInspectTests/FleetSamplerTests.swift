import Foundation
import XCTest
import Evering
@testable import EveringInspect

/// The fleet sampler behind the overview and the exporter: rings kept open between samples,
/// a replaced ring started over, a removed one dropped, and liveness checked once per process.
final class FleetSamplerTests: XCTestCase {
    var requesters: [Requester] = []
    var names: [RingName] = []

    override func tearDown() {
        for requester in requesters { requester.detach() }
        for name in names { try? unlinkRing(name) }
        requesters = []
        names = []
    }

    func makeRing(_ name: RingName, slots: UInt32 = 16) throws -> Requester {
        if !names.contains(name) { names.append(name) }
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: 64, slotCount: slots, bufferSize: 64, replaceExisting: true))
        requesters.append(requester)
        return requester
    }

    func testRingsKeptOpenReplacedRingStartsOverRemovedRingIsDropped() throws {
        let first = LiveRing.uniqueName("fleet-a"), second = LiveRing.uniqueName("fleet-b")
        _ = try makeRing(first)
        _ = try makeRing(second)
        let objects = [first.bare, second.bare]
        let fleet = FleetSampler()
        let one = fleet.sample(names: objects)
        XCTAssertEqual(one.rings.map(\.name).sorted(), [first.path, second.path])
        XCTAssertEqual(fleet.openRingCount, 2)
        XCTAssertTrue(one.rings.allSatisfy { $0.rates == nil }, "no rates from one sample")
        XCTAssertTrue(one.rings.allSatisfy { $0.owner != nil && !$0.owner!.isEmpty }, "the owner is read when opened")
        let two = fleet.sample(names: objects)
        XCTAssertTrue(two.rings.allSatisfy { $0.rates != nil }, "history kept between samples")
        XCTAssertTrue(two.rings.allSatisfy { $0.status == .ok }, "\(two.rings.map(\.status))")

        // Replaced under the same name: read afresh, with a history of its own.
        _ = try makeRing(first, slots: 32)
        let three = fleet.sample(names: objects)
        let replaced = try XCTUnwrap(three.rings.first { $0.name == first.path })
        XCTAssertEqual(replaced.snapshot.header?.slotCount, 32, "the new object is read")
        XCTAssertTrue(replaced.snapshot.isStillLinked)
        XCTAssertNil(replaced.rates, "its history started over")
        XCTAssertEqual(replaced.status, .ok)
        XCTAssertEqual(three.readErrors, [:])

        // Removed: dropped (and its mapping closed) at the next sample.
        try unlinkRing(second)
        let four = fleet.sample(names: [first.bare])
        XCTAssertEqual(four.rings.map(\.name), [first.path])
        XCTAssertEqual(fleet.openRingCount, 1)
    }

    func testEveryRingOfOneProcessGetsTheSameLiveness() throws {
        let rings = (0..<3).map { LiveRing.uniqueName("fleet-live-\($0)") }
        for name in rings { _ = try makeRing(name) }
        let reading = FleetSampler().sample(names: rings.map(\.bare))
        XCTAssertEqual(reading.rings.count, 3)
        for ring in reading.rings {
            XCTAssertEqual(ring.snapshot.requester?.pid, getpid())
            XCTAssertEqual(ring.snapshot.requester?.liveness, .alive)
        }
    }

    func testLivenessCacheAnswersOncePerIdentityUntilEmptied() {
        let cache = LivenessCache()
        let me = ProcessIdentity.current
        XCTAssertEqual(cache.liveness(of: me), .alive)
        let reused = ProcessIdentity(pid: me.pid, startTime: me.startTime + 1)
        XCTAssertEqual(cache.liveness(of: reused), .pidReused, "the start time is part of the key")
        XCTAssertEqual(cache.liveness(of: ProcessIdentity(pid: Int32.max - 1, startTime: 1)), .dead)
        cache.removeAll()
        XCTAssertEqual(cache.liveness(of: me), .alive)
    }
}
