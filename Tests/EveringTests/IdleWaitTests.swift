import Foundation
import XCTest
@testable import Evering

/// An idle side costs its heartbeat and little else: a blocked call sleeps on its futex
/// until something happens, and its own heartbeat thread (`PeerWatch`) wakes it when the
/// peer dies or leaves, so it does not have to wake every 100 ms to look.
final class IdleWaitTests: XCTestCase {
    let names = RingNames()
    override func tearDown() {
        BlockingWaiter.maxSleepNanoseconds = 1_000_000_000
        names.cleanUp()
    }

    private func spawnEchoResponder(_ name: RingName) throws -> Process {
        let process = Process()
        process.executableURL = everingTopExecutable()
        process.arguments = ["echo-responder", name.path, "--count", "0"]
        process.standardOutput = Pipe()
        try process.run()
        return process
    }

    /// Times this thread has been put on a CPU (field 2 of /proc/thread-self/schedstat).
    private func timesScheduled() throws -> UInt64 {
        let text = try String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8)
        let fields = text.split(separator: " ")
        return try XCTUnwrap(UInt64(fields[2].trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// A connected pair, one round trip done (so both sides are attached and awake).
    private func connectedPair(_ label: String) throws -> (Requester, Process, RingName) {
        let name = names.make(label)
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 8, bufferSize: 64))
        let responder = try spawnEchoResponder(name)
        let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(10)) {
            EchoMessage(sequence: 0).encode(into: $0)
        }
        _ = try requester.wait(for: op, timeout: .seconds(10))
        requester.release(op)
        return (requester, responder, name)
    }

    /// Blocked for 2.5 s on an idle ring whose peer is alive, the waiting thread runs a
    /// handful of times (1 s backstop sleeps), not 25 (one wake per 100 ms to check the peer).
    func testAnIdleBlockedWaitIsScheduledAFewTimesNotTenPerSecond() throws {
        let (requester, responder, _) = try connectedPair("idle")
        defer { responder.terminate(); responder.waitUntilExit() }
        let before = try timesScheduled()
        XCTAssertThrowsError(try requester.completions.waitUntilNotEmpty(timeout: .milliseconds(2500))) {
            XCTAssertEqual($0 as? RingError, .timedOut)
        }
        let runs = try timesScheduled() - before
        XCTAssertLessThanOrEqual(runs, 8, "the waiting thread ran \(runs) times in 2.5 s")
        XCTAssertGreaterThanOrEqual(runs, 1)
    }

    /// The backstop taken away (a 10-minute futex wait): a requester asleep in `wait(for:)`
    /// learns that its responder was killed from its heartbeat thread, not from a timeout.
    func testASleeperLearnsThePeerDiedFromItsHeartbeatThread() throws {
        let (requester, responder, name) = try connectedPair("watch")
        let observer = try RingObserver(attaching: name)
        kill(responder.processIdentifier, SIGSTOP)  // it will never answer the op below
        BlockingWaiter.maxSleepNanoseconds = 600_000_000_000
        let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(10)) {
            EchoMessage(sequence: 1).encode(into: $0)
        }
        let killer = Thread {
            // Kill it only once the requester is asleep on the completion queue's futex.
            guard eventually(timeout: 30, { observer.waitState(.completion, .consumer).sleeping }) else { return }
            kill(responder.processIdentifier, SIGKILL)
        }
        killer.start()
        XCTAssertThrowsError(try requester.wait(for: op, timeout: .seconds(300))) { error in
            XCTAssertEqual(error as? RingError, .peerDead(side: .responder, pid: responder.processIdentifier))
        }
        responder.waitUntilExit()
        XCTAssertEqual(responder.terminationReason, .uncaughtSignal)
    }

    /// The same for a clean detach of the peer while we sleep (a stop request to the child).
    func testASleeperLearnsThePeerLeftFromItsHeartbeatThread() throws {
        let (requester, responder, name) = try connectedPair("left")
        let observer = try RingObserver(attaching: name)
        BlockingWaiter.maxSleepNanoseconds = 600_000_000_000
        let killer = Thread {
            guard eventually(timeout: 30, { observer.waitState(.completion, .consumer).sleeping }) else { return }
            responder.interrupt()  // SIGINT: the echo responder detaches and exits
        }
        killer.start()
        XCTAssertThrowsError(try requester.completions.waitUntilNotEmpty(timeout: .seconds(300))) { error in
            XCTAssertEqual(error as? RingError, .peerDetached(side: .responder))
        }
        responder.waitUntilExit()
    }
}
