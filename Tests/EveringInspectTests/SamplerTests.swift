import XCTest
@testable import EveringInspect

final class SamplerTests: XCTestCase {
    typealias T = TestSnapshots

    func testRatesAreDeltasOverTheMeasuredPeriod() {
        var sampler = Sampler()
        XCTAssertNil(sampler.record(T.busy(time: 10 * T.second, sq: (100, 104), cq: (90, 92))).rates)
        let sample = sampler.record(T.busy(time: 10 * T.second + T.second / 2, sq: (600, 610), cq: (590, 595)))
        let rates = try! XCTUnwrap(sample.rates)
        XCTAssertEqual(rates.intervalSeconds, 0.5, accuracy: 1e-9)
        XCTAssertEqual(rates.submissionEnqueuesPerSecond, 1012, accuracy: 1e-6)
        XCTAssertEqual(rates.submissionDequeuesPerSecond, 1000, accuracy: 1e-6)
        XCTAssertEqual(rates.completionEnqueuesPerSecond, 1006, accuracy: 1e-6)
        XCTAssertEqual(rates.completionsPerSecond, 1000, accuracy: 1e-6)
        XCTAssertEqual(sampler.peaks.submissionEnqueuesPerSecond, 1012, accuracy: 1e-6)
    }

    func testHistoryIsBoundedAndPeaksReset() {
        var sampler = Sampler(historyCapacity: 5)
        for i in 0..<12 {
            let used: UInt64 = i == 3 ? 15 : 1
            sampler.record(T.busy(time: UInt64(i + 1) * T.second, sq: (UInt64(i), UInt64(i) + used)))
        }
        XCTAssertEqual(sampler.history.count, 5)
        XCTAssertEqual(sampler.history.first?.time, 8 * T.second)
        XCTAssertEqual(sampler.series { Double($0.submission.used) }, [1, 1, 1, 1, 1])
        XCTAssertEqual(sampler.peaks.submissionUsed, 15)
        sampler.resetPeaks()
        XCTAssertEqual(sampler.peaks.submissionUsed, 1)
    }

    func testOutOfOrderSnapshotIsIgnored() {
        var sampler = Sampler()
        sampler.record(T.busy(time: 5 * T.second))
        sampler.record(T.busy(time: 4 * T.second))
        XCTAssertEqual(sampler.history.count, 1)
    }

    func testNewCancellationsAreCounted() {
        var sampler = Sampler()
        var first = T.busy(time: T.second, inFlight: 4)
        first.slots!.busy[0].state = .cancelled
        first.slots!.counts.cancelled = 1
        sampler.record(first)
        var second = T.busy(time: 2 * T.second, inFlight: 4)
        second.slots!.busy[0].state = .cancelled  // seen before: not new
        second.slots!.busy[2].state = .cancelled
        second.slots!.busy[3].state = .cancelled
        second.slots!.counts.cancelled = 3
        XCTAssertEqual(sampler.record(second).rates?.cancellationsPerSecond, 2)
    }
}
