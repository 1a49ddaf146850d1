import CEvering
import XCTest
@testable import Evering

/// Indices read from the peer are checked before use (docs/ABI.md "Robustness rules"):
/// an impossible one is never turned into entries or free space, and it ends blocking calls
/// with `corruptPeer`, naming the queue and the values.
final class CorruptPeerTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    func makePair() throws -> (Requester, Responder) {
        let name = names.make("corrupt")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 8, slotCount: 16, bufferSize: 64))
        return (requester, try Responder.open(name))
    }

    func testATailBeyondHeadPlusCapacityIsNoEntriesAndEndsTheWait() throws {
        let (requester, responder) = try makePair()
        let op = try requester.submit(opcode: 1, length: 0)
        let request = try responder.receive(timeout: .seconds(1))
        try responder.complete(request, length: 0)
        XCTAssertEqual(requester.reap(), 1)
        let second = try requester.submit(opcode: 1, length: 0)
        // The responder "publishes" a tail 1,000 entries ahead of an 8-entry queue.
        let tail = ev_queue_tail_ptr(requester.region.queueBlock(requester.region.layout.completion))!
        ev_store_release_u64(tail, 1_001)
        XCTAssertEqual(requester.reap(), 0, "no phantom completions")
        let started = Clock.monotonicNanoseconds
        XCTAssertThrowsError(try requester.wait(for: second, timeout: .seconds(10))) { error in
            XCTAssertEqual(error as? RingError, .corruptPeer(queue: "completion", field: "tail", writer: .responder,
                                                             value: 1_001, low: 1, high: 9))
            XCTAssertTrue("\(error)".contains("the completion queue's tail, written by the responder, holds 1001 but must lie in 1...9"), "\(error)")
        }
        XCTAssertLessThan(Clock.monotonicNanoseconds - started, 5_000_000_000, "ended by the error, not the timeout")
        XCTAssertThrowsError(try requester.peer.check(), "the verdict is sticky") {
            XCTAssertEqual(($0 as? RingError).map { if case .corruptPeer = $0 { true } else { false } }, true)
        }
        _ = op
    }

    func testATailThatGoesBackwardsIsRefused() throws {
        let (requester, responder) = try makePair()
        for _ in 0..<3 { _ = try requester.submit(opcode: 1, length: 0) }
        for _ in 0..<3 { try responder.complete(try responder.receive(timeout: .seconds(1)), length: 0) }
        XCTAssertEqual(requester.reap(), 3)
        let tail = ev_queue_tail_ptr(requester.region.queueBlock(requester.region.layout.completion))!
        ev_store_release_u64(tail, 1)  // seen 3 already
        XCTAssertEqual(requester.reap(), 0)
        XCTAssertThrowsError(try requester.peer.check()) {
            XCTAssertEqual($0 as? RingError, .corruptPeer(queue: "completion", field: "tail", writer: .responder,
                                                         value: 1, low: 3, high: 11))
        }
    }

    func testAHeadBeyondTheTailIsNoFreeSpaceAndEndsTheSend() throws {
        let (requester, responder) = try makePair()
        // Fill the 8-entry submission queue; the responder takes nothing.
        for _ in 0..<8 { _ = try requester.submit(opcode: 1, length: 0) }
        let head = ev_queue_head_ptr(responder.region.queueBlock(responder.region.layout.submission))!
        ev_store_release_u64(head, 500)
        XCTAssertNil(requester.trySubmit(opcode: 1, length: 0), "a head past our tail frees nothing")
        XCTAssertThrowsError(try requester.submit(opcode: 1, length: 0, timeout: .seconds(10))) {
            XCTAssertEqual($0 as? RingError, .corruptPeer(queue: "submission", field: "head", writer: .responder,
                                                         value: 500, low: 0, high: 8))
        }
        _ = responder
    }

    /// The responder's view: a requester publishing a tail far ahead ends its receive.
    func testTheResponderRefusesAnImpossibleSubmissionTail() throws {
        let (requester, responder) = try makePair()
        let tail = ev_queue_tail_ptr(requester.region.queueBlock(requester.region.layout.submission))!
        ev_store_release_u64(tail, UInt64.max - 3)
        XCTAssertThrowsError(try responder.receive(timeout: .seconds(10))) {
            XCTAssertEqual($0 as? RingError, .corruptPeer(queue: "submission", field: "tail", writer: .requester,
                                                         value: UInt64.max - 3, low: 0, high: 8))
        }
    }
}
