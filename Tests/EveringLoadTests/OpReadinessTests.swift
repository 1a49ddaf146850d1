import Evering
import XCTest
@testable import EveringLoad

/// Latency runs from when the requester had the op ready (docs/LOAD.md, "Latency"): the
/// rule by itself on made-up times, then through the requester loop with transports that
/// make ops wait, then through every real transport.
final class OpReadinessTests: XCTestCase {
    /// One completion handed to the book at a made-up receive time; returns the latency it
    /// recorded (the interval histogram is reset first, so it holds this one value).
    /// Times stay below 2048 ns, where the histogram keeps values exactly.
    func complete(_ sequence: UInt64, at receivedAt: UInt64, in book: inout CompletionBook) -> UInt64 {
        book.interval.reset()
        let response = [UInt8](repeating: 0, count: 16)
        response.withUnsafeBytes { book.handle(LoadCompletion(sequence: sequence, status: 0, response: $0, receivedAt: receivedAt)) }
        XCTAssertEqual(book.interval.totalCount, 1, "op \(sequence) should have been timed")
        return book.interval.maxRecorded
    }

    func makeBook(first: UInt64 = 0, concurrency: Int, start: UInt64) -> CompletionBook {
        var windowSize = 1
        while windowSize < concurrency { windowSize <<= 1 }
        var book = CompletionBook(readiness: OpReadiness(first: first, concurrency: concurrency, windowSize: windowSize,
                                                         start: start),
                                  verify: false, expectedResponse: 16, recordInterval: true)
        book.oldest = first
        book.next = first
        book.completedBeyond = first
        return book
    }

    /// Unpaced: the first window is ready at the start; each later op when the op
    /// `concurrency` before it left the window. When an op was sent plays no part.
    func testUnpacedOpsAreReadyWhenTheirWindowSlotIsFreed() {
        var book = makeBook(concurrency: 2, start: 100)
        defer { book.deallocate() }
        book.next = 2  // ops 0 and 1 went out (whenever the transport took them)
        XCTAssertEqual(complete(0, at: 500, in: &book), 400, "op 0: ready at the start")
        // Op 0 left the window at 500: op 2 was ready then, even if it went out much later.
        book.next = 3
        XCTAssertEqual(complete(1, at: 900, in: &book), 800, "op 1: ready at the start, whenever it was sent")
        XCTAssertEqual(complete(2, at: 1000, in: &book), 500, "op 2: ready when op 0's completion was received")
        book.next = 5
        XCTAssertEqual(complete(3, at: 1700, in: &book), 800, "op 3: ready when op 1's completion was received")
        XCTAssertEqual(complete(4, at: 1800, in: &book), 800, "op 4: ready when op 2's completion was received")
        XCTAssertEqual(book.oldest, 5)
    }

    /// The window frees in order: a newer op completing first frees nothing, and the
    /// late oldest op then frees both slots at its own receive time.
    func testTheWindowFreesInOrder() {
        var book = makeBook(concurrency: 2, start: 0)
        defer { book.deallocate() }
        book.next = 2
        XCTAssertEqual(complete(1, at: 300, in: &book), 300)
        XCTAssertEqual(book.oldest, 0, "op 0 still holds the window")
        XCTAssertEqual(complete(0, at: 700, in: &book), 700)
        XCTAssertEqual(book.oldest, 2)
        book.next = 4
        XCTAssertEqual(complete(2, at: 1000, in: &book), 300, "op 2: ready at 700, not at 300")
        XCTAssertEqual(complete(3, at: 1100, in: &book), 400, "op 3: ready at 700 as well")
    }

    /// Leak-cancel ops come first and never enter the window: the window starts at them.
    func testTheWindowStartsAfterLeakedOps() {
        var book = makeBook(first: 3, concurrency: 1, start: 50)
        defer { book.deallocate() }
        book.next = 4
        XCTAssertEqual(complete(3, at: 250, in: &book), 200)
        book.next = 5
        XCTAssertEqual(complete(4, at: 400, in: &book), 150)
    }

    /// Paced: an op the window held past its scheduled time (start + i / rate) is ready
    /// at that time, so a late answer is charged to every op it delayed (no coordinated
    /// omission); an op the window had room for is ready when the loop was first up to
    /// issue it (the requester's own lateness is not the transport's).
    func testPacedOpsAreReadyAtTheirScheduledTimeUnlessTheRequesterWasLate() {
        // 10^6 ops/s from t = 1 ms: op i is due at t + 1000 i ns.
        let t: UInt64 = 1_000_000
        let schedule = Pacer(start: t, rate: 1e6)
        var book = makeBook(concurrency: 1, start: t)
        defer { book.deallocate() }
        func issue(_ sequence: UInt64, loopAt now: UInt64) {
            book.readiness.allowed(through: sequence + 1, at: now, schedule: schedule)
            book.next = sequence + 1
        }
        issue(0, loopAt: t)
        XCTAssertEqual(complete(0, at: t + 500, in: &book), 500, "op 0: due at the start, issued then")
        // Op 1 (due t+1000) has room from t+500, but the loop wakes late, at t+1300.
        issue(1, loopAt: t + 1300)
        XCTAssertEqual(complete(1, at: t + 1400, in: &book), 100, "op 1: the requester's own lateness is not counted")
        // Op 2 (due t+2000) is issued on time; its answer comes late, at t+3900.
        issue(2, loopAt: t + 2000)
        XCTAssertEqual(complete(2, at: t + 3900, in: &book), 1900)
        // Op 3 was due at t+3000 but the window held it until t+3900: counted from t+3000.
        issue(3, loopAt: t + 3905)
        XCTAssertEqual(complete(3, at: t + 4000, in: &book), 1000, "op 3: the late answer's delay is charged to it too")
        // Op 4 (due t+4000) has room exactly at its time; the loop comes 1 ns later.
        issue(4, loopAt: t + 4001)
        XCTAssertEqual(complete(4, at: t + 4100, in: &book), 99)
    }

    /// The pacing gate and the ready time come from one schedule (`Pacer`): an op is never
    /// let out before the time a held op's latency is counted from.
    func testThePacingGateNeverLetsAnOpOutBeforeItsScheduledTime() {
        for rate in [0.5, 3, 10, 1000, 7777, 100_000, 3_333_333] {
            let schedule = Pacer(start: 5_000_000, rate: rate)
            for index: UInt64 in [1, 2, 3, 10, 999, 123_456] {
                XCTAssertLessThanOrEqual(schedule.opsDue(at: schedule.due(index) - 1), index,
                                         "rate \(rate): op \(index) is not let out 1 ns before its time")
            }
        }
    }
}

/// A transport that makes ops wait, then answers each once it has been held `hold` ns:
/// it refuses everything until `refuseFor` ns after the first attempt, and takes at most
/// `capacity` unanswered ops (a socket buffer that holds one op, a full ring).
final class WaitingTransport: RequesterTransport {
    let capacity: Int
    let refuseFor: UInt64
    let hold: UInt64
    var firstAttempt: UInt64 = 0
    var accepted: [(sequence: UInt64, at: UInt64)] = []
    var refusals = 0
    let response: UnsafeMutableRawBufferPointer

    init(capacity: Int = .max, refuseFor: UInt64 = 0, hold: UInt64 = 0) {
        self.capacity = capacity
        self.refuseFor = refuseFor
        self.hold = hold
        response = .allocate(byteCount: 16, alignment: 8)
    }

    deinit { response.deallocate() }

    func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                 fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool {
        let now = Clock.monotonicNanoseconds
        if firstAttempt == 0 { firstAttempt = now }
        guard now >= firstAttempt + refuseFor, accepted.count < capacity else {
            refusals += 1
            return false
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
        defer { buffer.deallocate() }
        fill(buffer)
        accepted.append((sequence, now))
        return true
    }

    func flush() throws(LoadError) {}

    func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int {
        var delivered = 0
        while let (sequence, at) = accepted.first, Clock.monotonicNanoseconds >= at + hold {
            accepted.removeFirst()
            PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: true), into: response)
            body(LoadCompletion(sequence: sequence, status: 0, response: UnsafeRawBufferPointer(response),
                                receivedAt: Clock.monotonicNanoseconds))
            delivered += 1
        }
        return delivered
    }

    func checkPeer() throws(LoadError) {}
    var fullStalls: UInt64 { UInt64(refusals) }
    var queueFill: (used: UInt64, capacity: UInt64)? { nil }
    func leakCancelled(sequences: Range<UInt64>, length: Int,
                       fill: (UInt64, UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) {}
    func close() {}
}

final class RequesterReadyTimeTests: XCTestCase {
    func run(_ transport: WaitingTransport, concurrency: Int, count: UInt64, rate: Double? = nil) -> LoadSummary {
        var config = LoadConfiguration()
        config.payloadBytes = 16
        config.concurrency = concurrency
        config.limit = .count(count)
        config.rate = rate
        let deadline = Clock.monotonicNanoseconds + 30_000_000_000
        let summary = LoadRequester(configuration: config, transport: transport)
            .run(shouldStop: { Clock.monotonicNanoseconds > deadline })
        XCTAssertEqual(summary.verified, count, "\(summary)")
        XCTAssertEqual(summary.stopReason, "count")
        return summary
    }

    /// Four ops are ready at the start; the transport refuses everything for 20 ms. Only
    /// op 0 is ever refused (the loop stops trying at the first refusal), yet ops 1-3
    /// waited the same 20 ms behind it, and their latency says so.
    func testOpsWaitingBehindARefusedOneCountTheirWait() {
        let refuseFor: UInt64 = 20_000_000
        let transport = WaitingTransport(refuseFor: refuseFor)
        let summary = run(transport, concurrency: 4, count: 4)
        XCTAssertGreaterThan(transport.refusals, 0)
        // p50 of four values is the second smallest: at least three ops, so at least two
        // that were never refused themselves, include the 20 ms.
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.p50, refuseFor)
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.mean, Double(refuseFor) * 0.99)
    }

    /// A transport that holds one op at a time (a socket buffer with room for one), each
    /// for 5 ms: op k of the first window is taken only after the k ops ahead of it were
    /// answered, so it completes at least (k + 1) × 5 ms after the start, all of which is
    /// its latency (ready at the start), not only its own 5 ms.
    func testOpsQueuedBehindOthersForTransportSpaceCountTheQueueing() {
        let hold: UInt64 = 5_000_000
        let summary = run(WaitingTransport(capacity: 1, hold: hold), concurrency: 4, count: 4)
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.max, 4 * hold, "the last op waited for three others")
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.mean, Double(hold) * 2.5 * 0.99, "(1+2+3+4)/4 holds at least")
    }

    /// Paced at 1,000 ops/s with one op in flight and answers that take 3 ms: op i is due
    /// at i ms but completes no earlier than 3(i + 1) ms, so the delay piles up in the
    /// latencies (about 2i + 3 ms) instead of vanishing into a later send time.
    func testAPacedRunChargesTheBacklogToTheOpsItDelayed() {
        let hold: UInt64 = 3_000_000
        let summary = run(WaitingTransport(capacity: 1, hold: hold), concurrency: 1, count: 10, rate: 1000)
        // Op 9 was due at 9 ms and completed at 30 ms or later.
        XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.max, 21_000_000)
    }
}

/// Every real transport times its ops through the same rule: with a responder that
/// takes at least 2 ms per answer (`slow-responder`) and more ops ready at once than the
/// transport takes in (a 2-entry submission queue; a 64 KiB socket or pipe frame that
/// fills the requester's buffer), op k of the first window waits for the k answers ahead
/// of it, so its latency is at least (k + 1) × 2 ms on every transport.
final class TransportReadyTimeTests: LoadTestCase {
    func testEveryTransportCountsTheWaitBehindEarlierOps() throws {
        let delay: UInt64 = 2_000_000
        let ops: UInt64 = 8
        for transport in ["ring", "uds", "pipe"] {
            let name = uniqueName("ready-\(transport)")
            let run = try LoadProcess(["load", name, "--transport", transport, "--payload", "64K", "--capacity", "2",
                                       "--concurrency", "\(ops)", "--count", "\(ops)", "--fault", "slow-responder=2ms", "--json"])
            XCTAssertEqual(run.waitForExit(within: 30), 0, "\(transport): \(run.stderr)")
            let summary = try run.summary()
            XCTAssertEqual(summary.verified, ops, transport)
            XCTAssertGreaterThan(summary.queueFullStalls, 0, "\(transport): the transport should have refused ops")
            XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.max, ops * delay, "\(transport): the last op waited for all the others")
            XCTAssertGreaterThanOrEqual(summary.latencyNanoseconds.mean, Double(delay) * Double(ops + 1) / 2 * 0.99,
                                        "\(transport): op k waited for k + 1 answers")
        }
    }
}
