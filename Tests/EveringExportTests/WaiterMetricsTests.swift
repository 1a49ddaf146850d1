@testable import Evering
import EveringInspect
import XCTest
@testable import EveringExport

/// The ABI 1.1 wait records as metrics: one sample per queue and role, from the ring as
/// read; none for a 1.0 ring (no zeros made up for records it does not have).
final class WaiterMetricsTests: XCTestCase {
    func families(_ name: RingName) -> [String: MetricFamily] {
        let reading = FleetSampler().sample(names: [String(name.path.dropFirst())])
        XCTAssertEqual(reading.rings.count, 1)
        return Dictionary(uniqueKeysWithValues: RingMetrics.families(reading).map { ($0.name, $0) })
    }

    func testEachWaiterIsASampleOfA11Ring() throws {
        let name = try RingName("export-waiters-\(getpid())")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64,
                                                                           replaceExisting: true))
        defer { requester.detach(); try? unlinkRing(name) }
        // The responder's SQ consumer wait, as a sleeper leaves it (written by hand: no
        // responder here), with two timeouts it caught.
        let block = requester.region.queueBlock(requester.region.layout.queue(.submission))
        (block.pointee.consumer_wait.since_ns, block.pointee.consumer_wait.late_wakes) = (Clock.monotonicNanoseconds, 2)
        block.pointee.consumer_wait.sleeping = 1
        let all = families(name)
        let asleep = try XCTUnwrap(all["evering_waiter_asleep"])
        XCTAssertEqual(asleep.samples.count, 4, "two queues x consumer/producer")
        let sqConsumer = asleep.samples.first { $0.labels.contains(.init("queue", "sq")) && $0.labels.contains(.init("role", "consumer")) }
        XCTAssertEqual(sqConsumer?.value, 1)
        XCTAssertEqual(asleep.samples.filter { $0.value == 1 }.count, 1)
        let late = try XCTUnwrap(all["evering_waiter_late_wakes"])
        XCTAssertEqual(late.kind, .counter)
        XCTAssertEqual(late.samples.map(\.value).reduce(0, +), 2)
        XCTAssertEqual(all["evering_waiter_wakes"]?.samples.count, 4)
    }

    func testA10RingHasNoWaiterSamples() throws {
        let name = try RingName("export-waiters10-\(getpid())")
        let region = try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64,
                                                                          replaceExisting: true))
        defer { try? unlinkRing(name) }
        region.header.pointee.abi_minor = 0
        let all = families(name)
        for family in ["evering_waiter_asleep", "evering_waiter_wakes", "evering_waiter_late_wakes"] {
            XCTAssertEqual(all[family]?.samples.count, 0, family)
        }
        XCTAssertGreaterThan(all["evering_queue_capacity"]?.samples.count ?? 0, 0, "the ring itself was read")
    }
}
