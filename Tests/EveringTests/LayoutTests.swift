import CEvering
import XCTest
@testable import Evering

/// The Swift view of the layout must agree with the C header, which is the ABI.
final class LayoutTests: XCTestCase {
    func testStructSizesAndOffsetsMatchTheHeader() {
        XCTAssertEqual(MemoryLayout<ev_header>.size, 512)
        XCTAssertEqual(MemoryLayout<ev_side>.size, 64)
        XCTAssertEqual(MemoryLayout<ev_queue>.size, 384)
        XCTAssertEqual(MemoryLayout<ev_entry>.size, Int(EV_ENTRY_SIZE))
        XCTAssertEqual(MemoryLayout<ev_entry>.stride, Int(EV_ENTRY_SIZE))
        XCTAssertEqual(MemoryLayout<ev_slot>.size, Int(EV_SLOT_SIZE))
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.ready), ev_offsetof_header_ready())
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.refcount), ev_offsetof_header_refcount())
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.sides), ev_offsetof_header_sides())
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.slots_offset), ev_offsetof_header_slots_offset())
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.sq_offset), ev_offsetof_header_sq_offset())
        XCTAssertEqual(MemoryLayout<ev_side>.offset(of: \.heartbeat_ns), ev_offsetof_side_heartbeat())
        XCTAssertEqual(MemoryLayout<ev_side>.offset(of: \.state), ev_offsetof_side_state())
        XCTAssertEqual(MemoryLayout<ev_queue>.offset(of: \.head), ev_offsetof_queue_head())
        XCTAssertEqual(MemoryLayout<ev_queue>.offset(of: \.tail), ev_offsetof_queue_tail())
        XCTAssertEqual(MemoryLayout<ev_queue>.offset(of: \.full_stalls), ev_offsetof_queue_full_stalls())
        XCTAssertEqual(MemoryLayout<ev_entry>.offset(of: \.user_data), ev_offsetof_entry_user_data())
        XCTAssertEqual(MemoryLayout<ev_slot>.offset(of: \.submitted_ns), ev_offsetof_slot_submitted_ns())
        XCTAssertEqual(MemoryLayout<ev_slot>.offset(of: \.user_data), ev_offsetof_slot_user_data())
        // Head and tail 128 bytes apart: never on one cache line, nor an adjacent-line pair.
        XCTAssertEqual(ev_offsetof_queue_tail() - ev_offsetof_queue_head(), 128)
    }

    /// ABI 1.1 (docs/ABI.md "ABI 1.1"): every new field sits where the byte map says, inside
    /// bytes that 1.0 reserved, so no 1.0 field moved.
    func testABI11FieldsSitInTheBytes10Reserved() {
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.writer_features), 88)
        XCTAssertEqual(ev_offsetof_header_writer_features(), 88)
        XCTAssertEqual(MemoryLayout<ev_side>.offset(of: \.owner), ev_offsetof_side_owner())
        XCTAssertEqual(ev_offsetof_side_owner(), 40)
        XCTAssertEqual(ev_offsetof_side_pid_ns(), 48)
        XCTAssertEqual(ev_offsetof_side_capabilities(), 56)
        XCTAssertEqual(ev_offsetof_side_claims(), 60)
        XCTAssertEqual(MemoryLayout<ev_waiter>.size, 32)
        XCTAssertEqual(MemoryLayout<ev_waiter>.offset(of: \.sleeping), 0)
        XCTAssertEqual(MemoryLayout<ev_waiter>.offset(of: \.cpu), 4)
        XCTAssertEqual(MemoryLayout<ev_waiter>.offset(of: \.since_ns), 8)
        XCTAssertEqual(MemoryLayout<ev_waiter>.offset(of: \.wakes), 16)
        XCTAssertEqual(MemoryLayout<ev_waiter>.offset(of: \.late_wakes), 24)
        XCTAssertEqual(MemoryLayout<ev_queue>.offset(of: \.consumer_wait), ev_offsetof_queue_consumer_wait())
        XCTAssertEqual(ev_offsetof_queue_consumer_wait(), 64)
        XCTAssertEqual(ev_offsetof_queue_producer_wait(), 96)
        XCTAssertEqual(MemoryLayout<ev_slot>.offset(of: \.seq), ev_offsetof_slot_seq())
        XCTAssertEqual(ev_offsetof_slot_seq(), 48)
        // The 1.0 fields around them are unmoved.
        XCTAssertEqual(MemoryLayout<ev_header>.offset(of: \.cq_offset), 80)
        XCTAssertEqual(ev_offsetof_side_heartbeat(), 16)
        XCTAssertEqual(MemoryLayout<ev_queue>.offset(of: \.entries_offset), 16)
        XCTAssertEqual(MemoryLayout<ev_slot>.offset(of: \.user_data), 40)
        // The library still writes 1.0 until every 1.1 duty is in (docs/ABI.md "Implementation status").
        XCTAssertEqual(EV_ABI_MINOR_1_1, 1)
    }

    func testPlanPlacesAlignedDisjointSections() throws {
        let layout = try RingLayout.plan(RingConfiguration(submissionCapacity: 1024, completionCapacity: 256,
                                                           slotCount: 100, bufferSize: 4096))
        XCTAssertEqual(layout.submission.entriesOffset, 4096)
        XCTAssertEqual(layout.completion.entriesOffset, 4096 + 1024 * 32)
        for section in layout.sections { XCTAssertEqual(section.start % 4096, 0, section.name) }
        XCTAssertNil(layout.firstOverlap())
        XCTAssertEqual(layout.totalSize, layout.buffersOffset + 100 * 4096)
        XCTAssertEqual(layout.totalSize % 4096, 0)
    }

    func testPlanRejectsImpossibleConfigurations() {
        for config in [RingConfiguration(submissionCapacity: 1000), RingConfiguration(submissionCapacity: 1),
                       RingConfiguration(slotCount: 0), RingConfiguration(bufferSize: 100),
                       RingConfiguration(slotCount: 1 << 20, bufferSize: 1 << 20)] {
            XCTAssertThrowsError(try RingLayout.plan(config)) { error in
                guard case .invalidConfiguration = error as? RingError else { return XCTFail("\(error)") }
            }
        }
    }

    func testNamesAreValidated() throws {
        XCTAssertEqual(try RingName("demo").path, "/demo")
        XCTAssertEqual(try RingName("/demo").path, "/demo")
        // A path in /dev/shm names the object there (what `ls /dev/shm` and tab completion give).
        XCTAssertEqual(try RingName("/dev/shm/demo").path, "/demo")
        XCTAssertEqual(try RingName("/dev/shm/demo").bare, "demo")
        for bad in ["", "/", "a/b", "//a", "..", "/dev/shm/", "/dev/shm/a/b", "/dev/shm/..", String(repeating: "x", count: 201), "tab\there"] {
            XCTAssertThrowsError(try RingName(bad), bad) { error in
                guard case .invalidName = error as? RingError else { return XCTFail("\(error)") }
            }
        }
    }

    func testStartTimeParsingSurvivesOddCommandNames() {
        let fields = (3...25).map(String.init).joined(separator: " ")  // field 22 holds "22"
        XCTAssertEqual(ProcessIdentity.parseStartTime(statLine: "123 (a) b (c)) \(fields)"), 22)
        XCTAssertNil(ProcessIdentity.parseStartTime(statLine: "123 (x) R 1 2"))
        XCTAssertNil(ProcessIdentity.parseStartTime(statLine: "garbage"))
        XCTAssertEqual(ProcessIdentity.current.liveness, .alive)
        XCTAssertEqual(ProcessIdentity(pid: getpid(), startTime: ProcessIdentity.current.startTime + 1).liveness, .pidReused)
    }
}
