import Foundation
import XCTest
import CEvering
@testable import Evering

/// The futex wake-up protocol (docs/ABI.md "Wake-ups (futex)") between real processes,
/// against a peer that never wakes, and under stop requests.
final class WakeUpTests: XCTestCase {
    let names = RingNames()
    override func tearDown() {
        StopRequest.reset()
        names.cleanUp()
    }

    func spawnPeer(_ arguments: [String], output: Pipe = Pipe()) throws -> Process {
        let process = Process()
        process.executableURL = testPeerExecutable()
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        return process
    }

    /// Waits for a process with a deadline (a hung peer fails the test instead of hanging it).
    func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        eventually(timeout: seconds) { !process.isRunning }
    }

    /// 100,000 request/response cycles with random delays (busy, asleep or none) on both
    /// sides, so that each side's waits end by spinning, by a wake-up or by re-checking in
    /// every interleaving. No wait may end by its timeout while its queue held an entry
    /// (late_wakes stays 0 on all four waiters), and every message checks out.
    func testNoWakeUpIsLostInOneHundredThousandCyclesAcrossProcesses() throws {
        try stress(cycles: 100_000, membarrier: false)
    }

    /// The same with a responder that issues membarrier before sleeping
    /// (EV_CAP_SLEEP_MEMBARRIER): our publishes to it skip the seq_cst fence.
    func testNoWakeUpIsLostWhenThePeerSleepsWithMembarrier() throws {
        guard processRegisteredForMembarrier else { throw XCTSkip("no global expedited membarrier on this kernel") }
        try stress(cycles: 20_000, membarrier: true)
    }

    func stress(cycles: UInt64, membarrier: Bool) throws {
        let name = names.make("wake")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 8, slotCount: 4, bufferSize: 64))
        let output = Pipe()
        let peer = try spawnPeer(["stress", name.path, String(cycles), "7", "30"] + (membarrier ? ["membarrier"] : []), output: output)
        var random = (state: UInt64(0x1234_5678_9abc_def1), ())
        var bad: UInt64 = 0
        let started = Date()
        for sequence in 0..<cycles {
            // The requester's own random pause, so the responder's waits sleep too.
            random.state ^= random.state >> 12; random.state ^= random.state << 25; random.state ^= random.state >> 27
            let draw = random.state &* 2685821657736338717
            if draw & 3 == 1 { usleep(UInt32((draw >> 8) % 30)) }
            else if draw & 3 == 2 {
                let until = Clock.monotonicNanoseconds &+ (draw >> 8) % 30_000
                while Clock.monotonicNanoseconds < until {}
            }
            let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(30)) {
                EchoMessage(sequence: sequence).encode(into: $0)
            }
            let completion = try requester.wait(for: op, timeout: .seconds(30))
            if EchoMessage.decode(requester.response(of: completion))?.sequence != sequence &+ 1_000_000_007 { bad += 1 }
            requester.release(op)
        }
        let elapsed = Date().timeIntervalSince(started)
        // Which form of the protocol ran: fences both ways, or the responder's membarrier.
        let responderCapabilities = requester.region.capabilities(.responder)
        XCTAssertNotEqual(responderCapabilities & SideCapability.wakesPeer, 0)
        XCTAssertEqual(responderCapabilities & SideCapability.sleepMembarrier != 0, membarrier)
        XCTAssertTrue(waitForExit(peer, seconds: 30), "the stress peer did not finish")
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(peer.terminationStatus, 0, "the peer found a bad request: \(text)")
        XCTAssertTrue(text.contains("late_wakes 0 bad 0"), "peer reported: \(text)")
        XCTAssertEqual(bad, 0)
        let observer = try RingObserver(attaching: name)
        for kind in [RingObserver.QueueKind.submission, .completion] {
            for role in RingObserver.WaiterRole.allCases {
                let state = observer.waitState(kind, role)
                XCTAssertEqual(state.lateWakes, 0, "\(kind) \(role) waiter timed out while its condition held")
                XCTAssertFalse(state.sleeping, "\(kind) \(role) still marked asleep after the run")
            }
        }
        // The run must really have exercised sleeping: both consumers were woken often.
        let responderWakes = observer.waitState(.submission, .consumer).wakes
        let requesterWakes = observer.waitState(.completion, .consumer).wakes
        XCTAssertGreaterThan(responderWakes, cycles / 100, "the responder hardly ever slept: the test exercised nothing")
        XCTAssertGreaterThan(requesterWakes, cycles / 100, "the requester hardly ever slept: the test exercised nothing")
        print("wake stress\(membarrier ? " (responder sleeps with membarrier)" : ""): \(cycles) cycles in \(String(format: "%.1f", elapsed)) s; futex wakes: responder \(responderWakes), requester \(requesterWakes)")
    }

    /// A 1.0-style responder (no EV_CAP_WAKES_PEER, plain index stores, never FUTEX_WAKE):
    /// our waits must fall back to the backoff, so every op completes and none waits for
    /// the futex timeout (100 ms).
    func testPeerThatNeverWakesIsServedByTheBackoff() throws {
        let name = names.make("legacy")
        let count: UInt64 = 2_000
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 8, slotCount: 4, bufferSize: 64))
        let peer = try spawnPeer(["legacy", name.path, String(count)])
        XCTAssertTrue(eventually { requester.region.sideInfo(.responder).state == .attached }, "the legacy peer never attached")
        XCTAssertEqual(requester.region.capabilities(.responder), 0)
        var latencies: [UInt64] = []
        for sequence in 0..<count {
            let start = Clock.monotonicNanoseconds
            let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(10)) {
                EchoMessage(sequence: sequence).encode(into: $0)
            }
            let completion = try requester.wait(for: op, timeout: .seconds(10))
            XCTAssertEqual(EchoMessage.decode(requester.response(of: completion))?.sequence, sequence &+ 1_000_000_007)
            requester.release(op)
            latencies.append(Clock.monotonicNanoseconds &- start)
            if sequence % 97 == 0 { usleep(300) }  // let the peer back off into its sleeps now and then
        }
        XCTAssertTrue(waitForExit(peer, seconds: 10))
        XCTAssertEqual(peer.terminationStatus, 0)
        latencies.sort()
        let median = latencies[latencies.count / 2], worst = latencies.last!
        // The futex timeout is 100 ms; the backoff sleeps at most 256 µs. Generous bounds
        // for a loaded 2-core machine, far below what one futex timeout per op would give.
        XCTAssertLessThan(median, 5_000_000, "median \(median) ns")
        XCTAssertLessThan(latencies.filter { $0 >= 90_000_000 }.count, Int(count) / 100, "ops that waited like a futex timeout")
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.waitState(.completion, .consumer).wakes, 0, "a 1.0 peer never wakes; we must not have slept on the futex")
        print("legacy peer: median \(median / 1000) µs, worst \(worst / 1000) µs")
    }

    /// SIGINT to a process blocked in `Requester.wait(for:)` on the futex (its responder,
    /// this test, is attached and never answers) ends the wait with `stopRequested`.
    func testSigintStopsABlockedRequesterPromptly() throws {
        let name = names.make("stop")
        let responder = try Responder.create(name, configuration: .init(submissionCapacity: 8, slotCount: 4, bufferSize: 64))
        let output = Pipe()
        let peer = try spawnPeer(["block", name.path, "0"], output: output)
        // Blocked = the op was submitted and the requester announced sleep on the completion queue.
        XCTAssertTrue(eventually(timeout: 10) { responder.region.waitState(.completion, .consumer).sleeping },
                      "the requester never went to sleep on the completion queue")
        let signalled = Clock.monotonicNanoseconds
        kill(peer.processIdentifier, SIGINT)
        XCTAssertTrue(waitForExit(peer, seconds: 5))
        let elapsed = Clock.monotonicNanoseconds &- signalled
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(peer.terminationStatus, 0, text)
        // "stopped N us after SIGINT": from the handler to the end of the wait.
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let index = words.firstIndex(of: "stopped"), index + 1 < words.count, let waitMicros = UInt64(words[index + 1]) else {
            return XCTFail("no stop report in \(text)")
        }
        // Generous bound for a loaded machine; the wait ends at the handler's FUTEX_WAKE.
        XCTAssertLessThan(waitMicros, 1_000_000)
        XCTAssertLessThan(elapsed, 5_000_000_000)
        print("SIGINT to end of the blocked wait: \(waitMicros) µs (to process exit: \(elapsed / 1000) µs)")
        _ = responder
    }

    /// In-process: a responder blocked in `receive` (asleep on the futex) sees
    /// StopRequest.request() from another thread.
    func testStopRequestEndsABlockedReceive() throws {
        let name = names.make("stopin")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 8, slotCount: 4, bufferSize: 64))
        let responder = try Responder.open(name)
        let outcome = LockedBox<Result<Request, RingError>?>(nil)
        let thread = Thread { outcome.set(Result { () throws(RingError) in try responder.receive() }) }
        thread.start()
        XCTAssertTrue(eventually { requester.region.waitState(.submission, .consumer).sleeping })
        let start = Clock.monotonicNanoseconds
        StopRequest.request()
        XCTAssertTrue(eventually { outcome.get() != nil })
        print("stop request to end of a blocked receive: \((Clock.monotonicNanoseconds &- start) / 1000) µs")
        guard case .failure(.stopRequested)? = outcome.get() else { return XCTFail("receive ended with \(String(describing: outcome.get()))") }
    }

    /// A full submission queue: the blocked `send` sleeps on the producer's futex and the
    /// responder's receive wakes it.
    func testProducerWaitingForSpaceIsWoken() throws {
        let name = names.make("full")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 2, slotCount: 8, bufferSize: 64))
        let responder = try Responder.open(name)
        let entry = ev_entry(op_id: 0, opcode: 1, flags: 0, length: 0, user_data: 0, result: 0, reserved: 0)
        try requester.submissions.send(entry)
        try requester.submissions.send(entry)
        let done = LockedBox(false)
        let thread = Thread {
            try? requester.submissions.send(entry, timeout: .seconds(10))
            done.set(true)
        }
        thread.start()
        XCTAssertTrue(eventually { requester.region.waitState(.submission, .producer).sleeping }, "the producer never slept on a full queue")
        XCTAssertNotNil(responder.submissions.tryReceive())
        XCTAssertTrue(eventually { done.get() })
        XCTAssertEqual(requester.region.waitState(.submission, .producer).wakes, 1)
        XCTAssertEqual(requester.region.waitState(.submission, .producer).lateWakes, 0)
    }

    /// `completion(of:)` never blocks a thread of the cooperative pool: more async waits
    /// than the pool has threads, and the task that lets the responders answer still runs.
    func testAsyncWaitsLeaveTheCooperativePoolFree() async throws {
        let waits = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        var rings: [(Requester, Responder, OpID)] = []
        for _ in 0..<waits {
            let name = names.make("async")
            let requester = try Requester.create(name, configuration: .init(submissionCapacity: 8, slotCount: 4, bufferSize: 64))
            let responder = try Responder.open(name)
            let op = try requester.submit(opcode: 1, length: 0)
            rings.append((requester, responder, op))
        }
        let released = LockedBox(false)
        let answered = LockedBox(0)
        let allRings = rings
        let answerer = Thread {
            while !released.get() { usleep(1_000) }
            for (_, responder, _) in allRings {
                if let request = try? responder.receive(timeout: .seconds(5)), (try? responder.complete(request, length: 0)) != nil {
                    answered.set(answered.get() + 1)
                }
            }
        }
        answerer.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (requester, _, op) in allRings {
                group.addTask { _ = try await requester.completion(of: op, timeout: .seconds(20)) }
            }
            // Runs on the pool only if the waits above left it a thread.
            group.addTask {
                try await Task.sleep(for: .milliseconds(50))
                released.set(true)
            }
            try await group.waitForAll()
        }
        // The answerer counts after `complete` returns, which can be after the task it
        // answered has finished: poll for the count.
        XCTAssertTrue(eventually { answered.get() == waits }, "answered \(answered.get()) of \(waits)")
    }
}

/// A value shared with a thread, behind a lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
}
