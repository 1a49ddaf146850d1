import CEvering
import Foundation
import Synchronization
import XCTest
import Evering
@testable import EveringInspect

/// The slot seqlock (ABI 1.1): a requester recycling slots as fast as it can while an
/// inspector reads them. Every record the inspector reports must be one op's, never mixed
/// from two; a slot rewritten through every copy is reported as changing instead.
final class TornSlotTests: XCTestCase {
    /// Fields the writer derives from one number, so a record mixed from two ops shows.
    static func request(_ n: UInt64) -> (opcode: UInt16, length: UInt32, userData: UInt64) {
        (UInt16(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n), n &* 0x9E37_79B9_7F4A_7C15)
    }

    static func isOneOpsRecord(opcode: UInt16, length: UInt32, userData: UInt64, state: ObservedSlotState,
                               result: Int32? = nil, resultLength: UInt32? = nil) -> Bool {
        let expected = request(UInt64(length))
        guard opcode == expected.opcode, userData == expected.userData else { return false }
        if state == .completed, let result, let resultLength {
            return result == Int32(bitPattern: length) && resultLength == length ^ 0xABCD
        }
        return true
    }

    /// Recycles the ring's slots on a background thread until `stop` is set: allocate with
    /// fields from a counter, complete with a result derived from it, release.
    final class Recycler: @unchecked Sendable {
        // @unchecked: the requester is driven by the writer thread only, until join.
        let requester: Requester
        let stop = Atomic<Bool>(false)
        let cycles = Atomic<UInt64>(0)
        private var thread: Thread?
        private let done = DispatchSemaphore(value: 0)

        init(_ requester: Requester) { self.requester = requester }

        func start() {
            let thread = Thread { [self] in
                var n: UInt64 = 1
                let driver = requester.driver
                var ops: [OpID] = []
                // Relaxed: the flag only asks the loop to end; the semaphore orders the end.
                while !stop.load(ordering: .relaxed) {
                    for _ in 0..<driver.slotCount {
                        let fields = TornSlotTests.request(n)
                        n &+= 1
                        guard let op = driver.allocate(opcode: fields.opcode, length: fields.length, userData: fields.userData) else { break }
                        ops.append(op)
                    }
                    for op in ops {
                        let length = driver.completion(of: op) == nil ? requesterLength(op) : 0
                        _ = driver.complete(ev_entry(op_id: op.rawValue, opcode: 0, flags: 0, length: length ^ 0xABCD,
                                                     user_data: 0, result: Int32(bitPattern: length), reserved: 0))
                        driver.release(op)
                    }
                    ops.removeAll(keepingCapacity: true)
                    cycles.add(1, ordering: .relaxed)
                }
                done.signal()
            }
            self.thread = thread
            thread.start()
        }

        /// The request length of `op`, read by the only writer (no race).
        func requesterLength(_ op: OpID) -> UInt32 {
            requester.region.slots[Int(op.slot)].length
        }

        func finish() {
            stop.store(true, ordering: .relaxed)
            done.wait()
        }
    }

    func makeRing(slots: UInt32) throws -> (RingName, Requester) {
        let name = LiveRing.uniqueName("torn")
        return (name, try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: slots, bufferSize: 64)))
    }

    func testSeqlockReadsNeverMixTwoOps() throws {
        let (name, requester) = try makeRing(slots: 1)
        defer { try? unlinkRing(name) }
        let observer = try RingObserver(attaching: name)
        let recycler = Recycler(requester)
        recycler.start()
        var consistent = 0, changing = 0, mixed: [String] = [], unguardedMixed = 0
        let deadline = Clock.monotonicNanoseconds + 1_500_000_000
        while Clock.monotonicNanoseconds < deadline {
            for _ in 0..<1000 {
                if let record = observer.readSlot(0) {
                    let state = ObservedSlotState(raw: record.rawState)
                    if Self.isOneOpsRecord(opcode: record.opcode, length: record.length, userData: record.userData, state: state,
                                           result: record.result, resultLength: record.resultLength) {
                        consistent += 1
                    } else if mixed.count < 5 {
                        mixed.append("\(record)")
                    }
                } else {
                    changing += 1
                }
                // The 1.0 copy (no seq check), for comparison only: it can mix two ops.
                var copy = ev_slot()
                ev_slot_load_fields(requester.region.slots, &copy)
                if !Self.isOneOpsRecord(opcode: copy.opcode, length: copy.length, userData: copy.user_data,
                                        state: ObservedSlotState(raw: copy.state), result: copy.result, resultLength: copy.result_length) {
                    unguardedMixed += 1
                }
            }
        }
        recycler.finish()
        XCTAssertEqual(mixed, [], "no record mixed from two ops")
        XCTAssertGreaterThan(recycler.cycles.load(ordering: .relaxed), 1000, "the writer recycled the slot throughout")
        XCTAssertGreaterThan(consistent, 1000)
        print("seqlock reads: \(consistent) consistent, \(changing) changing; unguarded copies mixed: \(unguardedMixed)")
    }

    func testSnapshotsOfABusyTableNeverReportAMixedRecord() throws {
        let (name, requester) = try makeRing(slots: 64)
        defer { try? unlinkRing(name) }
        let reader = try SnapshotReader(attaching: name)
        let recycler = Recycler(requester)
        recycler.start()
        var records = 0, changing = 0, mixed: [SlotTable.Record] = []
        let deadline = Clock.monotonicNanoseconds + 1_500_000_000
        while Clock.monotonicNanoseconds < deadline {
            let snapshot = try reader.snapshot()
            for record in snapshot.slots?.busy ?? [] {
                if record.isChanging == true { changing += 1; continue }
                records += 1
                if !Self.isOneOpsRecord(opcode: record.opcode, length: record.length, userData: record.userData,
                                        state: record.state) {
                    mixed.append(record)
                }
            }
        }
        recycler.finish()
        XCTAssertEqual(mixed.prefix(5).map { "\($0)" }, [], "no record mixed from two ops")
        XCTAssertGreaterThan(records, 100, "busy records were read while the writer ran")
        print("snapshot records: \(records) consistent, \(changing) changing")
    }
}
