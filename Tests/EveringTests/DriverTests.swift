import CEvering
import XCTest
@testable import Evering

final class DriverTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    func makePair(slots: UInt32 = 4) throws -> (Requester, Responder, RingObserver) {
        let name = names.make("drv")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: slots, bufferSize: 64))
        return (requester, try Responder.open(name), try RingObserver(attaching: name))
    }

    func testLifecycleThroughWaitingAndCompleted() throws {
        let (requester, responder, observer) = try makePair()
        let op = try XCTUnwrap(requester.trySubmit(opcode: 3, length: 0, userData: 42))
        XCTAssertEqual(requester.driver.state(of: op), .submitted)
        requester.driver.markWaiting(op)
        XCTAssertEqual(observer.slot(op.slot).state, .waiting)
        let request = try XCTUnwrap(responder.tryReceive())
        XCTAssertEqual(request.entry.user_data, 42)
        XCTAssertTrue(responder.tryComplete(request, result: -5, length: 0))
        var seen: [Completion] = []
        XCTAssertEqual(requester.reap { seen.append($0) }, 1)
        XCTAssertEqual(seen.map(\.op), [op])
        XCTAssertEqual(seen.first?.result, -5)
        XCTAssertEqual(seen.first?.userData, 42)
        XCTAssertEqual(requester.driver.state(of: op), .completed)
        XCTAssertGreaterThan(observer.slot(op.slot).completedNanoseconds, 0)
        requester.release(op)
        XCTAssertEqual(requester.driver.state(of: op), .free)
        let again = try XCTUnwrap(requester.trySubmit(opcode: 3, length: 0))
        XCTAssertEqual(again.slot, op.slot, "the freed slot is reused")
        XCTAssertEqual(again.generation, op.generation + 1, "with a new generation")
        XCTAssertNil(requester.driver.state(of: op), "the old id is stale")
    }

    /// A forged entry naming a slot outside the table is malformed even with length 0; a
    /// well-formed one is not, and neither is an in-range length-0 request.
    func testForgedSlotIsMalformedWhateverItsLength() throws {
        let (requester, responder, _) = try makePair(slots: 4)
        for length: UInt32 in [0, 8] {
            var entry = ev_entry()
            entry.op_id = OpID(slot: 99, generation: 1).rawValue
            entry.length = length
            XCTAssertTrue(responder.request(for: entry).isMalformed, "slot 99 of 4, length \(length)")
        }
        let op = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))
        let request = try XCTUnwrap(responder.tryReceive())
        XCTAssertEqual(request.op, op)
        XCTAssertFalse(request.isMalformed)
        var tooLong = request.entry
        tooLong.length = 65
        XCTAssertTrue(responder.request(for: tooLong).isMalformed, "65 bytes in a 64-byte buffer")
    }

    /// A cancelled op keeps its slot (the responder may still write its buffer) until
    /// its completion arrives; then the slot is reclaimed without surfacing a result.
    func testCancelBeforeCompletionPinsTheSlotUntilTheCompletionArrives() throws {
        let (requester, responder, observer) = try makePair(slots: 2)
        let op = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))
        XCTAssertTrue(requester.cancel(op))
        XCTAssertEqual(observer.slot(op.slot).state, .cancelled)
        XCTAssertEqual(requester.driver.freeCount, 1, "cancelled slot is still pinned")
        XCTAssertEqual(requester.reap(), 0)
        XCTAssertEqual(requester.driver.freeCount, 1)

        let request = try XCTUnwrap(responder.tryReceive())
        XCTAssertTrue(responder.tryComplete(request, length: 0))
        var surfaced = 0
        XCTAssertEqual(requester.reap { _ in surfaced += 1 }, 1)
        XCTAssertEqual(surfaced, 0, "a cancelled op's completion is swallowed")
        XCTAssertEqual(observer.slot(op.slot).state, .free)
        XCTAssertEqual(requester.driver.freeCount, 2)
        XCTAssertFalse(requester.cancel(op), "nothing left to cancel")
    }

    func testCancelAfterCompletionIsRefused() throws {
        let (requester, responder, _) = try makePair()
        let op = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))
        XCTAssertTrue(responder.tryComplete(try XCTUnwrap(responder.tryReceive()), length: 0))
        requester.reap()
        XCTAssertFalse(requester.cancel(op))
        XCTAssertEqual(requester.driver.state(of: op), .completed)
    }

    func testSlotExhaustion() throws {
        let (requester, responder, _) = try makePair(slots: 3)
        let ops = (0..<3).compactMap { _ in requester.trySubmit(opcode: 1, length: 0) }
        XCTAssertEqual(ops.count, 3)
        XCTAssertNil(requester.trySubmit(opcode: 1, length: 0), "no free slot")
        XCTAssertThrowsError(try requester.submit(opcode: 1, length: 0, timeout: .milliseconds(30))) {
            XCTAssertEqual($0 as? RingError, .timedOut)
        }
        // One completion frees one slot, which the blocking submit then finds by reaping.
        XCTAssertTrue(responder.tryComplete(try XCTUnwrap(responder.tryReceive()), length: 0))
        requester.reap { requester.release($0.op) }
        XCTAssertNotNil(try requester.submit(opcode: 1, length: 0, timeout: .seconds(1)))
    }

    func testForgedAndStaleCompletionsAreIgnored() throws {
        let (requester, _, _) = try makePair()
        let op = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))
        var entry = ev_entry()
        entry.op_id = OpID(slot: 999, generation: 1).rawValue
        XCTAssertEqual(requester.driver.complete(entry), .unknown(OpID(slot: 999, generation: 1)))
        entry.op_id = OpID(slot: op.slot, generation: op.generation + 7).rawValue
        XCTAssertEqual(requester.driver.complete(entry), .unknown(OpID(rawValue: entry.op_id)))
        XCTAssertEqual(requester.driver.state(of: op), .submitted)
    }

    /// A caller completing a batch supplies one completion time for all of it: the slot
    /// records exactly that time and the latency is measured from the op's own stamp.
    func testCompletionWithSuppliedTimeStampsThatTime() throws {
        let (requester, responder, observer) = try makePair()
        let op = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0, userData: 7))
        let request = try XCTUnwrap(responder.tryReceive())
        XCTAssertTrue(responder.tryComplete(request, result: 0, length: 0))
        let entry = try XCTUnwrap(requester.completions.tryReceive())
        let submitted = observer.slot(op.slot).submittedNanoseconds
        let completedAt = submitted + 12_345
        guard case .completed(let completion) = requester.driver.complete(entry, completedAt: completedAt) else {
            return XCTFail("the op did not complete")
        }
        XCTAssertEqual(completion.latencyNanoseconds, 12_345)
        XCTAssertEqual(completion.userData, 7)
        XCTAssertEqual(observer.slot(op.slot).completedNanoseconds, completedAt)
        XCTAssertEqual(requester.driver.state(of: op), .completed)
        requester.release(op)
        XCTAssertEqual(requester.driver.freeCount, 4, "the free-stack height survives the round trip")
    }

    func testAsyncCompletion() async throws {
        let (requester, responder, _) = try makePair()
        let op = try XCTUnwrap(requester.trySubmit(opcode: 9, length: 0))
        let serve = Task.detached {
            let request = try responder.receive(timeout: .seconds(2))
            try responder.complete(request, result: 11, length: 0)
        }
        let completion = try await requester.completion(of: op, timeout: .seconds(2))
        try await serve.value
        XCTAssertEqual(completion.result, 11)
    }
}
