import Evering
import EveringInspect
import Foundation
import XCTest

/// The flight recorder through the built binary (issue 16): for each fault of `load`,
/// record the run, then `check FILE` names the same root cause as the live rules, with an
/// onset (by the ring's own timestamps) within 100 ms of the injection time `load` prints.
final class RecordingEndToEndTests: EndToEndTestCase {
    struct CheckedRecording: Decodable {
        struct Entry: Decodable {
            var id: String
            var onsetNanoseconds: UInt64
            var firstSeenSeconds: Double
            var endedSeconds: Double?
        }
        var ring: String
        var samples: Int
        var finalStatus: RingStatus
        var incidents: [Entry]
    }

    /// Records `load NAME ARGS` for `seconds`; returns the check of the file and the
    /// injection time the load reported.
    func recordFault(_ label: String, _ arguments: [String], expect rootCause: String,
                     seconds: String = "3.5s", file: StaticString = #filePath, line: UInt = #line) throws {
        let name = try uniqueName(label)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).evrec").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let load = try startLoad(name, arguments)
        try waitForState(name, load, "the ring exists") { _ in true }
        let record = try Tool.run(["record", name, "-o", path, "--duration", seconds], timeout: 30)
        XCTAssertEqual(record.status, 0, record.stderr, file: file, line: line)
        XCTAssertTrue(record.stderr.contains("stopped: duration"), record.stderr, file: file, line: line)
        var injected: UInt64?
        poll(within: 10) {
            injected = load.stderr.firstMatch(of: /injected at monotonic (\d+) ns/).flatMap { UInt64($0.1) }
            return injected != nil
        }
        let injection = try XCTUnwrap(injected, "load did not report the injection: \(load.stderr)", file: file, line: line)
        let check = try Tool.run(["check", path, "--json"])
        XCTAssertEqual(check.status, 1, "an incident happened: \(check.stderr)", file: file, line: line)
        let report = try JSONDecoder().decode(CheckedRecording.self, from: Data(check.stdout.utf8))
        XCTAssertEqual(report.ring, "/" + name, file: file, line: line)
        let first = try XCTUnwrap(report.incidents.first, "no incident in \(check.stdout)", file: file, line: line)
        XCTAssertEqual(first.id, rootCause, "\(report.incidents.map(\.id))", file: file, line: line)
        let error = Int64(bitPattern: first.onsetNanoseconds &- injection)
        XCTAssertLessThan(abs(error), 100_000_000,
                          "onset \(first.onsetNanoseconds) vs injection \(injection): off by \(Double(error) / 1e6) ms", file: file, line: line)
        // The text form says the same (an onset before the recording started is negative:
        // leak-cancel leaks at the start of the run).
        let text = try Tool.run(["check", path])
        XCTAssertTrue(text.stdout.contains(rootCause + ": onset "), text.stdout, file: file, line: line)
    }

    func testStallResponderRecordedOnset() throws {
        try recordFault("rec-stall", ["--fault", "stall-responder@1s", "--capacity", "16", "--concurrency", "8"],
                        expect: "consumer-stalled sq")
    }

    func testHangResponderRecordedOnset() throws {
        try recordFault("rec-hang", ["--fault", "hang-responder@1s", "--hang-timeout", "60s", "--capacity", "16", "--concurrency", "4"],
                        expect: "side-stopped responder")
    }

    func testCrashResponderRecordedOnset() throws {
        try recordFault("rec-crash", ["--fault", "crash-responder@1s", "--capacity", "16", "--concurrency", "64"],
                        expect: "peer-dead responder")
    }

    func testStallRequesterRecordedOnset() throws {
        try recordFault("rec-stallreq", ["--fault", "stall-requester@1s", "--capacity", "16", "--concurrency", "8"],
                        expect: "consumer-stalled cq")
    }

    func testLeakCancelRecordedOnset() throws {
        try recordFault("rec-leak", ["--fault", "leak-cancel=3", "--concurrency", "4"], expect: "leaked-cancellations slots")
    }

    func testSlowResponderRecordedOnset() throws {
        try recordFault("rec-slow", ["--fault", "slow-responder=3s", "--concurrency", "1"], expect: "old-in-flight-op slot 0")
    }
}
