import EveringIOUring
import EveringInspect
import EveringRecording
import XCTest

/// When incidents happened in a recording (`check FILE`), and a recording as a ring source.
final class IncidentTimelineTests: XCTestCase {
    func testOnsetIsTheFindingsOwnMeasureBackFromWhenItWasSeen() {
        let seen: UInt64 = 10_000_000_000
        let stall = Finding(rule: .consumerStalled, severity: .critical, subject: "sq", message: "",
                            evidence: ["stalledSeconds": 1.25, "headEntryAgeSeconds": 3])
        XCTAssertEqual(IncidentTimeline.onset(of: stall, seenAt: seen), 8_750_000_000, "stalledSeconds first")
        let hung = Finding(rule: .sideStopped, severity: .critical, subject: "responder", message: "", evidence: ["pid": 4, "heartbeatAgeSeconds": 0.5])
        XCTAssertEqual(IncidentTimeline.onset(of: hung, seenAt: seen), 9_500_000_000)
        let dead = Finding(rule: .peerDead, severity: .critical, subject: "responder", message: "", evidence: ["pid": 4])
        XCTAssertEqual(IncidentTimeline.onset(of: dead, seenAt: seen), seen, "no duration evidence: when it was seen")
        let absurd = Finding(rule: .oldInFlightOp, severity: .warning, subject: "slot 1", message: "", evidence: ["oldestAgeSeconds": 1e12])
        XCTAssertEqual(IncidentTimeline.onset(of: absurd, seenAt: seen), 0, "never before the clock's zero")
        let lost = Finding(rule: .lostWakeUp, severity: .critical, subject: "sq", message: "",
                           evidence: ["asleepSeconds": 5, "unchangedSeconds": 0.25])
        XCTAssertEqual(IncidentTimeline.onset(of: lost, seenAt: seen), 9_750_000_000, "from the samples that showed it, not the sleep's start")
    }

    func testTimelineListsEachIncidentOnceWithItsStartAndEnd() throws {
        var frames = RecordingFixtures.stallAt12s()
        // The stall clears for the last 20 frames.
        for i in 180..<200 { frames[i].findings = []; frames[i].status = .ok }
        let recording = try RecordingReader(bytes: RecordingFixtures.encode(frames, interval: 100_000_000), path: "mem")
        let timeline = IncidentTimeline(recording)
        XCTAssertEqual(timeline.entries.map(\.id), ["consumer-stalled sq"])
        let entry = try XCTUnwrap(timeline.entries.first)
        XCTAssertEqual(entry.firstSeenSeconds, 12, accuracy: 1e-9)
        XCTAssertEqual(entry.onsetSeconds, 11, accuracy: 1e-9, "seen at 12 s, stalled for 1 s")
        XCTAssertEqual(entry.endedSeconds ?? 0, 18, accuracy: 1e-9)
        XCTAssertEqual(entry.severity, .critical)
    }

    /// A recording is one more ring source: the rules run over its frames unchanged.
    func testRecordingSourceFeedsTheRulesLikeARing() throws {
        let recording = try RecordingReader(bytes: RecordingFixtures.encode(RecordingFixtures.stallAt12s(), interval: 100_000_000), path: "mem")
        let source: any RingSource = RecordingSource(recording)
        XCTAssertEqual(source.displayName, "/rec-test")
        var sampler = Sampler()
        var firstStall: Double?
        var count = 0
        while let snapshot = try? source.snapshot() {
            sampler.record(snapshot)
            let findings = RingSources.diagnose(snapshot, history: sampler.history, thresholds: .default)
            if firstStall == nil, findings.contains(where: { $0.key == "consumer-stalled sq" }) {
                firstStall = Double(snapshot.takenAtMonotonicNanoseconds - recording.startTime) / 1e9
            }
            count += 1
        }
        XCTAssertEqual(count, 200)
        // The head stops at 11.0 s with entries queued: a 1 s stall is judged from 12.0 s.
        XCTAssertEqual(try XCTUnwrap(firstStall), 12, accuracy: 0.11)
        XCTAssertThrowsError(try source.snapshot()) { XCTAssertTrue("\($0)".contains("end of recording")) }
    }
}
