import XCTest
import CEvering
import CEveringReference
import Evering
@testable import EveringBench
#if canImport(Glibc)
import Glibc
#endif

final class SampleStatisticsTests: XCTestCase {
    func testNearestRankPercentileAndMedian() {
        let values = (1...100).map(Double.init)
        let stats = SampleStatistics(values.shuffled())
        XCTAssertEqual(stats.count, 100)
        XCTAssertEqual(stats.min, 1)
        XCTAssertEqual(stats.max, 100)
        XCTAssertEqual(stats.median, 50.5)
        XCTAssertEqual(stats.p99, 99)
        XCTAssertEqual(stats.mean, 50.5)
        XCTAssertEqual(SampleStatistics([3, 1, 2]).median, 2)
        XCTAssertEqual(SampleStatistics([7]).p99, 7)
    }

    func testNanosecondSamplesAgreeWithDoubles() {
        var raw: [UInt64] = (0..<1001).map { UInt64(($0 * 7919) % 1001) }
        let expected = SampleStatistics(raw.map { Double($0) })
        let got = raw.withUnsafeMutableBufferPointer { SampleStatistics(nanoseconds: $0) }
        XCTAssertEqual(got, expected)
    }

    func testFormat() {
        XCTAssertEqual(format(1.25, 1), "1.3")
        XCTAssertEqual(format(0.0499, 2), "0.05")
        XCTAssertEqual(format(-2.5, 0), "-3")
        XCTAssertEqual(format(12, 3), "12.000")
    }
}

final class RingBenchSummaryTests: XCTestCase {
    func stream(_ implementation: RingImplementation, _ perSecond: Double, _ scenario: RingScenario = .stream16,
                repetition: Int = 0) -> RingRun {
        RingRun(repetition: repetition, scenario: scenario, implementation: implementation, entries: 1, nanoseconds: 1,
                perSecond: perSecond, roundTrip: nil)
    }

    func pingPong(_ implementation: RingImplementation, p50: Double, p99: Double) -> RingRun {
        var stats = SampleStatistics([p50])
        stats.p99 = p99
        return RingRun(scenario: .pingPong16, implementation: implementation, entries: 1, nanoseconds: 1, perSecond: 1, roundTrip: stats)
    }

    func testMediansRatiosAndVerdicts() {
        let runs = [
            stream(.c, 80e6, repetition: 0), stream(.swift, 70e6, repetition: 0),
            stream(.swift, 95e6, repetition: 1), stream(.c, 100e6, repetition: 1),
            stream(.c, 90e6, repetition: 2), stream(.swift, 85e6, repetition: 2),
            pingPong(.c, p50: 200, p99: 300), pingPong(.swift, p50: 230, p99: 400),
            stream(.c, 50e6, .stream32), stream(.swift, 49e6, .stream32),
        ]
        let summary = RingBenchSummary(runs: runs)
        let c = summary.figure(.stream16, .c)!
        XCTAssertEqual(c.median, 90, accuracy: 1e-9)
        XCTAssertEqual(c.min, 80, accuracy: 1e-9)
        XCTAssertEqual(c.max, 100, accuracy: 1e-9)
        XCTAssertEqual(summary.ratio(.stream16)!, 85.0 / 90.0, accuracy: 1e-9)
        XCTAssertEqual(summary.meetsGoal(.stream16), true)          // 0.944 >= 0.90
        XCTAssertEqual(summary.ratio(.pingPong16)!, 1.15, accuracy: 1e-9)
        XCTAssertEqual(summary.meetsGoal(.pingPong16), false)       // 1.15 > 1.10
        XCTAssertEqual(summary.figure(.pingPong16, .swift)?.p99, 400)
        XCTAssertEqual(summary.meetsGoal(.stream32), true)
        let table = summary.markdown()
        // Paired ratios 0.875, 0.95, 0.944 -> median 0.944; best runs 95/100.
        XCTAssertEqual(summary.pairedRatios[.stream16]!, 85.0 / 90.0, accuracy: 1e-9)
        XCTAssertEqual(summary.bestRatios[.stream16]!, 0.95, accuracy: 1e-9)
        XCTAssertEqual(summary.bestRatios[.pingPong16]!, 1.15, accuracy: 1e-9)  // lowest p50s: 230 / 200
        XCTAssertTrue(table.contains("| stream-16B (M entries/s) | 90.0 [80.0–100.0] | 85.0 [70.0–95.0] | 0.944 | 0.944 | 0.950 | ≥ 0.90: met |"), table)
        XCTAssertTrue(table.contains("| ping-pong-16B round trip p50 (ns) | 200 [200–200] | 230 [230–230] | 1.150 | 1.150 | 1.150 | ≤ 1.10: missed |"), table)
    }

    func testMissingImplementationHasNoRatio() {
        let summary = RingBenchSummary(runs: [stream(.c, 1e6)])
        XCTAssertNil(summary.ratio(.stream16))
        XCTAssertNil(summary.meetsGoal(.stream16))
        XCTAssertFalse(summary.markdown().contains("stream-16B"))
    }
}

/// Single-process checks of both ring implementations' verification: a corrupted entry
/// is counted, a missing one times out instead of hanging.
final class RingLoopVerificationTests: XCTestCase {
    var region: BenchRegion!

    override func setUpWithError() throws {
        region = try BenchRegion.create(name: "/evering-benchtest-\(getpid())-\(UUID().uuidString.prefix(8))", capacity: 64)
    }

    override func tearDown() {
        region.unlink()
        region = nil
    }

    var farDeadline: UInt64 { ev_monotonic_ns() &+ 10_000_000_000 }

    func testCReferenceStreamsAndDetectsCorruption() {
        let sent = evref_stream_produce16(region.queueBlock(0), region.entries(0), 0, 64, farDeadline)
        XCTAssertEqual(sent.transferred, 64)
        region.entries(0)[17].check ^= 1
        let received = evref_stream_consume16(region.queueBlock(0), region.entries(0), 0, 64, farDeadline)
        XCTAssertEqual(received.transferred, 64)
        XCTAssertEqual(received.errors, 1)
        XCTAssertEqual(received.timed_out, 0)
    }

    func testSwiftLoopsStreamAcrossTheWrapAndDetectCorruption() {
        let producer = QueueProducer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                  owner: region, peer: nil)
        let consumer = QueueConsumer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                  owner: region, peer: nil)
        // The loops always start at sequence 0, so fill and drain in one go per round.
        XCTAssertEqual(SwiftRingLoops.produce16(producer, count: 40, deadline: farDeadline).transferred, 40)
        XCTAssertEqual(SwiftRingLoops.consume16(consumer, count: 40, deadline: farDeadline).errors, 0)
        XCTAssertEqual(SwiftRingLoops.produce16(producer, count: 64, deadline: farDeadline).transferred, 64)  // wraps
        region.entries(0)[(40 + 5) & 63].sequence = 999
        let received = SwiftRingLoops.consume16(consumer, count: 64, deadline: farDeadline)
        XCTAssertEqual(received.transferred, 64)
        XCTAssertEqual(received.errors, 1)
    }

    func testCAndSwiftInteroperateOnTheSameQueue() {
        // The same memory and entry layout: C produces, Swift consumes, both verify.
        XCTAssertEqual(evref_stream_produce16(region.queueBlock(0), region.entries(0), 0, 50, farDeadline).transferred, 50)
        let consumer = QueueConsumer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                  owner: region, peer: nil)
        let received = SwiftRingLoops.consume16(consumer, count: 50, deadline: farDeadline)
        XCTAssertEqual(received.transferred, 50)
        XCTAssertEqual(received.errors, 0)
    }

    func testConsumersGiveUpAtTheDeadline() {
        XCTAssertEqual(evref_stream_produce16(region.queueBlock(0), region.entries(0), 0, 3, farDeadline).transferred, 3)
        let c = evref_stream_consume16(region.queueBlock(0), region.entries(0), 0, 10, ev_monotonic_ns())
        XCTAssertEqual(c.timed_out, 1)
        XCTAssertEqual(c.transferred, 3)
        let producer = QueueProducer<StreamEntry>(block: region.queueBlock(1), entries: UnsafeMutableRawPointer(region.entries(1)),
                                                  owner: region, peer: nil)
        let full = SwiftRingLoops.produce16(producer, count: 100, deadline: ev_monotonic_ns())  // capacity 64: fills, then waits
        XCTAssertEqual(full.timed_out, 1)
        XCTAssertEqual(full.transferred, 64)
    }
}

/// Runs the real command across processes, briefly, and checks it verified and reported.
final class BenchRingCommandTests: XCTestCase {
    func testQuickRingBenchRunsEveryScenarioAcrossProcesses() throws {
        let result = try BenchTool.run(["bench", "ring", "--repetitions", "1", "--stream-count", "50000",
                                        "--ping-pong-count", "1000", "--capacity", "256"])
        let text = result.stdout
        XCTAssertEqual(result.status, 0, text + result.stderr)
        XCTAssertTrue(text.contains("0 errors"), text)
        for row in ["| stream-16B (M entries/s) |", "| ping-pong-16B round trip p50 (ns) |", "| stream-32B-evering (M entries/s) |"] {
            XCTAssertTrue(text.contains(row), "missing \(row) in\n\(text)")
        }
        // 3 scenarios x 2 implementations x 1 repetition.
        XCTAssertEqual(text.components(separatedBy: "\n").filter { $0.hasPrefix("| ") && $0.contains(" | C |") }.count, 3, text)
        // The benchmark cleans up its shm objects.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix("evering-bench-\(result.pid)-") }
        XCTAssertEqual(leftovers, [])
    }

    func testUnknownScenarioIsRejectedWithTheChoices() throws {
        let result = try BenchTool.run(["bench", "ring", "--scenario", "nope"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("unknown scenario 'nope'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("stream-16B"), result.stderr)
    }

    func testAReportThatCannotBeWrittenFailsTheCommand() throws {
        // /dev/full accepts the open and fails the write (ENOSPC) when the buffer is flushed.
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let result = try BenchTool.run(["bench", "ring", "--scenario", "stream-16B", "--repetitions", "1",
                                        "--stream-count", "1000", "--output", "/dev/full"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot write /dev/full"), result.stderr)
        XCTAssertFalse(result.stderr.contains("USAGE"), "a write failure is not a usage error:\n\(result.stderr)")
    }
}
