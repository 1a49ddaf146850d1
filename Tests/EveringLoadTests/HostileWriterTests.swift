import CEvering
import Evering
import EveringLoad
import Foundation
import XCTest

/// A process that scribbles into a live ring's indices must not make the load livelock or
/// invent entries: the requester ends with the typed `corruptPeer` error and exit status 1.
final class HostileWriterTests: LoadTestCase {
    func testScribbledIndicesEndTheLoadWithACorruptPeerErrorWithinASecond() throws {
        let name = uniqueName("hostile")
        let run = try LoadProcess(["load", name, "--mode", "stream", "--duration", "60s", "--capacity", "64", "--json"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.queue(.completion).head > 10_000 }, "traffic flows: \(run.stderr)")
        // Our own writable mapping: the hostile writer.
        let region = try SharedRegion.open(try RingName(name), writable: true)
        let submissionHead = ev_queue_head_ptr(region.queueBlock(region.layout.submission))!
        let completionTail = ev_queue_tail_ptr(region.queueBlock(region.layout.completion))!
        // The two indices the requester reads from its peer (the responder keeps rewriting
        // them, so keep scribbling): a head beyond the tail, a tail far beyond any head.
        var generator = SystemRandomNumberGenerator()
        let started = Clock.monotonicNanoseconds
        let deadline = started + 10_000_000_000
        while run.process.isRunning && Clock.monotonicNanoseconds < deadline {
            ev_store_release_u64(submissionHead, UInt64.random(in: (1 << 40)...(1 << 62), using: &generator))
            ev_store_release_u64(completionTail, UInt64.random(in: (1 << 40)...(1 << 62), using: &generator))
            usleep(100)  // the scribbler's pace; the exit is what the test waits for
        }
        let elapsed = Double(Clock.monotonicNanoseconds - started) / 1e9
        let status = run.waitForExit(within: 5)
        XCTAssertEqual(status, 1, "stderr: \(run.stderr)")
        XCTAssertLessThan(elapsed, 1.0, "the load noticed the corrupt indices within a second")
        XCTAssertTrue(run.stderr.contains("corrupt ring: the "), run.stderr)
        XCTAssertTrue(run.stderr.contains("written by the responder"), run.stderr)
        let summary = try run.summary()
        XCTAssertEqual(summary.failure?.kind, "ring")
        XCTAssertTrue(summary.failure?.description.contains("corrupt ring: the ") ?? false, "\(String(describing: summary.failure))")
    }
}
