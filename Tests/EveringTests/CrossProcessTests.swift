import Foundation
import XCTest
@testable import Evering

/// The ring between two real processes: this test process as requester, the built
/// `evering-top echo-responder` as responder.
final class CrossProcessTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    func spawnResponder(_ name: RingName, count: UInt64) throws -> Process {
        let process = Process()
        process.executableURL = everingTopExecutable()
        process.arguments = ["echo-responder", name.path, "--count", String(count)]
        process.standardOutput = Pipe()
        try process.run()
        return process
    }

    /// One million pipelined requests and responses, each checked: the responder checks
    /// the request's sequence and checksum, we check the response's.
    func testOneMillionVerifiedMessagesAcrossProcesses() throws {
        let name = names.make("xproc")
        let total: UInt64 = 1_000_000
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 256, slotCount: 64, bufferSize: 64))
        let responder = try spawnResponder(name, count: total)
        var submitted: UInt64 = 0, received: UInt64 = 0, bad: UInt64 = 0
        var inFlight: [OpID: UInt64] = [:]
        inFlight.reserveCapacity(64)
        while received < total {
            while submitted < total, inFlight.count < 48 {
                let sequence = submitted
                let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(10)) {
                    EchoMessage(sequence: sequence).encode(into: $0)
                }
                inFlight[op] = sequence
                submitted += 1
            }
            let reaped = requester.reap { completion in
                let sequence = inFlight.removeValue(forKey: completion.op)
                let reply = EchoMessage.decode(requester.response(of: completion))
                if sequence == nil || reply?.sequence != sequence! &+ 1_000_000_007 { bad += 1 }
                requester.release(completion.op)
                received += 1
            }
            if reaped == 0, let (op, _) = inFlight.first {
                _ = try requester.wait(for: op, timeout: .seconds(10))  // completes it; reaped next round
                let completion = requester.driver.completion(of: op)!
                let reply = EchoMessage.decode(requester.response(of: completion))
                if reply?.sequence != inFlight.removeValue(forKey: op)! &+ 1_000_000_007 { bad += 1 }
                requester.release(op)
                received += 1
            }
        }
        responder.waitUntilExit()
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(received, total)
        XCTAssertEqual(responder.terminationStatus, 0, "the responder saw every request in order with a valid checksum")
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.queue(.submission).tail, total)
        XCTAssertEqual(observer.queue(.completion).head, total)
    }

    /// SIGKILL the responder mid-run: our blocking wait must fail with peerDead within a
    /// second (the peer check runs every 100 ms), and the ring must show the dead side.
    func testKilledPeerIsDetectedByABlockedCall() throws {
        let name = names.make("dead")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        let responder = try spawnResponder(name, count: 0)
        for sequence in 0..<100 as Range<UInt64> {
            let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(10)) {
                EchoMessage(sequence: sequence).encode(into: $0)
            }
            _ = try requester.wait(for: op, timeout: .seconds(10))
            requester.release(op)
        }
        let pid = responder.processIdentifier
        kill(pid, SIGKILL)
        responder.waitUntilExit()
        let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(1)) {
            EchoMessage(sequence: 100).encode(into: $0)
        }
        let start = Date()
        XCTAssertThrowsError(try requester.wait(for: op, timeout: .seconds(10))) { error in
            XCTAssertEqual(error as? RingError, .peerDead(side: .responder, pid: pid))
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 1.0, "detected in \(elapsed) s")
        let observer = try RingObserver(attaching: name)
        let side = observer.side(.responder)
        XCTAssertEqual(side.state, .attached, "it never detached")
        XCTAssertEqual(side.identity.liveness, .dead)
        XCTAssertEqual(observer.slot(op.slot).state, .waiting, "the op stays in flight")
    }

    /// A clean detach is reported as such, not as a death.
    func testDetachedPeerIsReportedAsDetached() throws {
        let name = names.make("detach")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        let responder = try spawnResponder(name, count: 1)
        let op = try requester.submit(opcode: 1, length: EchoMessage.size) { EchoMessage(sequence: 0).encode(into: $0) }
        _ = try requester.wait(for: op, timeout: .seconds(10))
        requester.release(op)
        responder.waitUntilExit()
        let next = try requester.submit(opcode: 1, length: EchoMessage.size) { EchoMessage(sequence: 1).encode(into: $0) }
        XCTAssertThrowsError(try requester.wait(for: next, timeout: .seconds(10))) { error in
            XCTAssertEqual(error as? RingError, .peerDetached(side: .responder))
        }
    }

    /// The heartbeat keeps moving while a side is blocked in a wait.
    func testHeartbeatAdvancesWhileBlocked() throws {
        let name = names.make("beat")
        let responder = try Responder.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        let observer = try RingObserver(attaching: name)
        let first = observer.side(.responder).heartbeatNanoseconds
        XCTAssertThrowsError(try responder.receive(timeout: .milliseconds(300)))
        let second = observer.side(.responder).heartbeatNanoseconds
        XCTAssertGreaterThan(second, first)
        XCTAssertLessThan(Clock.monotonicNanoseconds - second, 500_000_000, "fresh (it beats every 50 ms; 500 ms allows a busy scheduler)")
    }
}
