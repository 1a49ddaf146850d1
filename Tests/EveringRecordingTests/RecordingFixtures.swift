import EveringInspect
import EveringRecording

/// Hand-built sample sequences for the format tests.
enum RecordingFixtures {
    static let start: UInt64 = 5_000_000_000

    static func header(interval: UInt64) -> RecordingHeader {
        RecordingHeader(ring: "/rec-test", intervalNanoseconds: interval, keyframeIntervalNanoseconds: 1_000_000_000,
                        startedMonotonicNanoseconds: start, startedRealtimeNanoseconds: 1_700_000_000_000_000_000,
                        stallTimeoutSeconds: 1)
    }

    /// `count` samples: traffic on the queues, a short-lived op in slot (i % 5) at every
    /// sample (age 2 ms), and slot 7 submitted at sample 3 and never completed.
    static func stuckSlotSequence(count: Int, interval: UInt64) -> [RecordedFrame] {
        (0..<count).map { i in
            let now = start + UInt64(i) * interval
            var busy: [SlotTable.Record] = [
                SlotTable.Record(index: UInt32(i % 5), state: .submitted, rawState: 1, generation: UInt32(i), opcode: 1,
                                 length: 16, ageNanoseconds: 2_000_000),
            ]
            if i >= 3 {
                busy.append(SlotTable.Record(index: 7, state: .submitted, rawState: 1, generation: 99, opcode: 1, length: 16,
                                             userData: 0xABC, ageNanoseconds: UInt64(i - 3) * interval))
            }
            busy.sort { $0.index < $1.index }
            let counts = SlotTable.Counts(free: 16 - busy.count, submitted: busy.count)
            let snapshot = Snapshot(source: .evering, name: "/rec-test", takenAtMonotonicNanoseconds: now,
                                    takenAtRealtimeNanoseconds: 1_700_000_000_000_000_000 + UInt64(i) * interval,
                                    submission: QueueStatus(kind: .submission, head: UInt64(i * 3), tail: UInt64(i * 3 + 1), capacity: 16),
                                    completion: QueueStatus(kind: .completion, head: UInt64(i * 3), tail: UInt64(i * 3), capacity: 16),
                                    slots: SlotTable(slotCount: 16, counts: counts, busy: busy))
            return RecordedFrame(snapshot: snapshot, status: .ok, findings: [])
        }
    }

    static func encode(_ frames: [RecordedFrame], interval: UInt64) -> [UInt8] {
        var encoder = RecordingEncoder(intervalNanoseconds: interval)
        var bytes = RecordingFormat.magic + encoder.header(header(interval: interval))
        for frame in frames { bytes += encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes }
        bytes += encoder.end(RecordingEnd(reason: .duration, monotonicNanoseconds: frames.last?.snapshot.takenAtMonotonicNanoseconds ?? 0,
                                          samples: frames.count))
        return bytes
    }
}
