import Evering
import XCTest
@testable import EveringLoad

/// An in-process transport that answers every request itself and can tamper with the
/// answers, so the requester loop's verification is tested against each kind of damage.
final class TamperingTransport: RequesterTransport {
    enum Tamper { case corrupt, duplicate, swapWithNext, drop, reject, wrongSequence }
    var tampering: [UInt64: Tamper]
    let payload: Int
    var sent: [UInt64] = []
    var closed = false

    init(payload: Int, tampering: [UInt64: Tamper]) {
        self.payload = payload
        self.tampering = tampering
    }

    func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                 fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
        defer { buffer.deallocate() }
        fill(buffer)
        // The request itself must be well formed.
        precondition(PayloadFormat.decode(UnsafeRawBufferPointer(buffer))?.matches(sequence) == true)
        sent.append(sequence)
        return true
    }

    func flush() throws(LoadError) {}

    func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int {
        var order = sent
        sent = []
        var index = 0
        while index < order.count {
            if tampering[order[index]] == .swapWithNext, index + 1 < order.count {
                order.swapAt(index, index + 1)
                index += 1
            }
            index += 1
        }
        var delivered = 0
        for sequence in order {
            let tamper = tampering[sequence]
            if tamper == .drop { continue }
            var bytes = [UInt8](repeating: 0, count: payload)
            bytes.withUnsafeMutableBytes { raw in
                let tagged = tamper == .wrongSequence ? sequence + 1000 : sequence
                PayloadFormat.encode(tag: PayloadFormat.tag(sequence: tagged, response: true, rejected: tamper == .reject), into: raw)
            }
            if tamper == .corrupt { bytes[payload - 1] ^= 0x40 }
            let times = tamper == .duplicate ? 2 : 1
            let receivedAt = Clock.monotonicNanoseconds
            for _ in 0..<times {
                bytes.withUnsafeBytes { body(LoadCompletion(sequence: sequence, status: 0, response: $0, receivedAt: receivedAt)) }
                delivered += 1
            }
        }
        return delivered
    }

    func checkPeer() throws(LoadError) {}
    var fullStalls: UInt64 { 0 }
    var queueFill: (used: UInt64, capacity: UInt64)? { nil }
    func leakCancelled(sequences: Range<UInt64>, length: Int,
                       fill: (UInt64, UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) {}
    func close() { closed = true }
}

final class RequesterVerificationTests: XCTestCase {
    /// A dropped op pins the window (nothing after it can be sent), so a count limit would
    /// never be reached: such runs end by duration. `shouldStop` is a safety net only.
    func run(_ tampering: [UInt64: TamperingTransport.Tamper], payload: Int = 32,
             limit: LoadConfiguration.Limit = .count(100)) -> LoadSummary {
        var config = LoadConfiguration()
        config.payloadBytes = payload
        config.concurrency = 4
        config.limit = limit
        config.drainTimeout = .milliseconds(50)
        let transport = TamperingTransport(payload: payload, tampering: tampering)
        let deadline = Clock.monotonicNanoseconds + 20_000_000_000
        return LoadRequester(configuration: config, transport: transport).run(shouldStop: { Clock.monotonicNanoseconds > deadline })
    }

    func testCleanRunVerifiesEverything() {
        let summary = run([:])
        XCTAssertEqual(summary.verified, 100)
        XCTAssertEqual(summary.errors, LoadSummary.Errors())
        XCTAssertTrue(summary.succeeded)
        XCTAssertEqual(summary.stopReason, "count")
    }

    func testEachKindOfDamageIsCountedAndFailsTheRun() {
        let cases: [(TamperingTransport.Tamper, KeyPath<LoadSummary.Errors, UInt64>)] = [
            (.corrupt, \.corrupt), (.duplicate, \.duplicate), (.swapWithNext, \.reordered),
            (.drop, \.lost), (.reject, \.rejectedByResponder), (.wrongSequence, \.corrupt),
        ]
        for (tamper, counter) in cases {
            let summary = run([41: tamper], limit: tamper == .drop ? .duration(.milliseconds(100)) : .count(100))
            XCTAssertEqual(summary.errors[keyPath: counter], 1, "\(tamper): \(summary.errors)")
            XCTAssertEqual(summary.errors.total, 1, "\(tamper) should be counted once, as one kind: \(summary.errors)")
            XCTAssertFalse(summary.succeeded, "\(tamper) must fail the run")
        }
    }

    func testDamageIsCaughtAtSmallPayloadsToo() {
        for payload in [4, 8, 12] {
            XCTAssertEqual(run([7: .wrongSequence], payload: payload).errors.corrupt, 1, "payload \(payload)")
            XCTAssertEqual(run([7: .reject], payload: payload).errors.rejectedByResponder, 1, "payload \(payload)")
        }
        // With check bytes (5..7, 9..15 bytes) a flipped check byte is caught as well.
        XCTAssertEqual(run([7: .corrupt], payload: 12).errors.corrupt, 1)
    }

    func testStopRequestDrainsAndReportsSignal() {
        var config = LoadConfiguration()
        config.limit = .duration(.seconds(60))
        var calls = 0
        let summary = LoadRequester(configuration: config, transport: TamperingTransport(payload: 16, tampering: [:]))
            .run(shouldStop: { calls += 1; return calls > 50 })
        XCTAssertEqual(summary.stopReason, "signal")
        XCTAssertGreaterThan(summary.verified, 0)
        XCTAssertTrue(summary.succeeded)
    }
}
