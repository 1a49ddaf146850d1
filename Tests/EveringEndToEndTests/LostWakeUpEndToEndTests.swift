import Evering
import EveringInspect
import Foundation
import XCTest

/// Issue 13: the lost-wake-up rule never fires on a healthy ring, at any rate. `evering-top
/// load` runs at 10, 1,000 and 100,000 ops/s and at full speed (ping-pong, and streaming,
/// where producers sleep on full queues), while this process samples the ring read-only
/// every few milliseconds and diagnoses each sample with the product's thresholds.
final class LostWakeUpEndToEndTests: EndToEndTestCase {
    /// What sampling one run saw.
    struct Seen {
        var samples = 0
        /// Samples in which some side was asleep on a futex (the state the rule judges).
        var asleep = 0
        var lostWakeUps: [Finding] = []
        var firstCompletions: UInt64?
        var lastCompletions: UInt64 = 0
    }

    /// Starts `load NAME ARGS`, waits for traffic, samples for `seconds`, stops the load.
    func sample(_ label: String, _ arguments: [String], seconds: Double = 1.5) throws -> Seen {
        let name = try uniqueName(label)
        let load = try startLoad(name, arguments)
        try waitForState(name, load, "both sides attached and traffic flowing") { s in
            s.requester?.state == .attached && s.responder?.state == .attached && s.completion.head > 0
        }
        let reader = try SnapshotReader(attaching: RingName(name))
        var sampler = Sampler()
        var seen = Seen()
        let deadline = Clock.monotonicNanoseconds + UInt64(seconds * 1e9)
        while Clock.monotonicNanoseconds < deadline {
            let snapshot = try reader.snapshot()
            sampler.record(snapshot)
            seen.samples += 1
            let waits = [snapshot.requester, snapshot.responder].compactMap { $0?.waits }.joined()
            if waits.contains(where: \.sleeping) { seen.asleep += 1 }
            seen.lostWakeUps += Diagnosis.diagnose(snapshot, history: sampler.history).filter { $0.rule == .lostWakeUp }
            seen.firstCompletions = seen.firstCompletions ?? snapshot.completion.head
            seen.lastCompletions = snapshot.completion.head
            usleep(2_000)  // the sampling period, not a synchronisation
        }
        load.kill(SIGINT)
        XCTAssertTrue(poll(within: 10) { !load.isRunning }, "load did not stop")
        XCTAssertEqual(load.wait(), 0, load.stderr)
        return seen
    }

    func testNoLostWakeUpOnHealthyRingsAtAnyRate() throws {
        for rate in ["10", "1000", "100000", "max"] {
            let seen = try sample("rate\(rate)", ["--rate", rate])
            XCTAssertEqual(seen.lostWakeUps, [], "rate \(rate)")
            XCTAssertGreaterThan(seen.samples, 50, "rate \(rate): sampled")
            XCTAssertGreaterThan(seen.lastCompletions, seen.firstCompletions ?? .max, "rate \(rate): traffic flowed while sampled")
            if rate == "10" {
                // The responder sleeps on its futex between requests: the rule had something
                // to judge (and the wait records were read, not left at zero).
                XCTAssertGreaterThan(seen.asleep, seen.samples / 2, "rate 10: sides seen asleep")
            }
        }
        let stream = try sample("streammax", ["--mode", "stream", "--capacity", "16"])
        XCTAssertEqual(stream.lostWakeUps, [], "stream")
        XCTAssertGreaterThan(stream.lastCompletions, stream.firstCompletions ?? .max)
    }
}
