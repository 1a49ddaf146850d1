import EveringInspect
import EveringRecording
import Foundation

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
            // Slot 7's op waits at the head of the submission queue from sample 3 on (the
            // same entry, older each time: a delta carries it over rather than repeating it).
            let pending = i < 3 ? [] : [QueueEntry(position: 3, opID: 99 << 32 | 7, opcode: 1, length: 16, slot: 7, generation: 99,
                                                   slotState: .submitted, generationMatches: true,
                                                   ageNanoseconds: UInt64(i - 3) * interval)]
            // The header changes once (a side detaches at sample 120).
            let header = HeaderStatus(abiMajor: 1, abiMinor: 1, totalSize: 4096, createdAtNanoseconds: 1, creatorPID: 42,
                                      refcount: i < 120 ? 2 : 1, flags: 0, slotCount: 16, bufferSize: 64)
            let snapshot = Snapshot(source: .evering, name: "/rec-test", takenAtMonotonicNanoseconds: now,
                                    takenAtRealtimeNanoseconds: 1_700_000_000_000_000_000 + UInt64(i) * interval,
                                    header: header,
                                    submission: QueueStatus(kind: .submission, head: 3, tail: 3 + UInt64(pending.count), capacity: 16,
                                                            pending: pending),
                                    completion: QueueStatus(kind: .completion, head: UInt64(i * 3), tail: UInt64(i * 3), capacity: 16),
                                    slots: SlotTable(slotCount: 16, counts: counts, busy: busy))
            return RecordedFrame(snapshot: snapshot, status: .ok, findings: [])
        }
    }

    static func encode(_ frames: [RecordedFrame], interval: UInt64) -> [UInt8] {
        var encoder = RecordingEncoder(intervalNanoseconds: interval, keyframeIntervalNanoseconds: 1_000_000_000)
        var bytes = RecordingFormat.magic + encoder.header(header(interval: interval))
        for frame in frames { bytes += encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes }
        bytes += encoder.end(RecordingEnd(reason: .duration, monotonicNanoseconds: frames.last?.snapshot.takenAtMonotonicNanoseconds ?? 0,
                                          samples: frames.count))
        return bytes
    }
}

extension RecordingFixtures {
    /// 200 frames at 10 Hz (20 s): traffic until 12.0 s, then the submission head stops
    /// and from frame 120 the recorder's findings say so (status STUCK).
    static func stallAt12s() -> [RecordedFrame] {
        let interval: UInt64 = 100_000_000
        return (0..<200).map { i in
            let now = start + UInt64(i) * interval
            let moving = i < 110
            let head = UInt64(moving ? i * 7 : 110 * 7)
            let tail = head + UInt64(moving ? i % 5 : 3)
            let busy = (0..<UInt32(tail - head)).map { k in
                SlotTable.Record(index: k, state: .submitted, rawState: 1, generation: UInt32(head) + k, opcode: 1, length: 16,
                                 ageNanoseconds: moving ? 1_000 : UInt64(i - 110) * interval)
            }
            let snapshot = Snapshot(source: .evering, name: "/replay-fixture", takenAtMonotonicNanoseconds: now,
                                    takenAtRealtimeNanoseconds: 1_700_000_000_000_000_000 + UInt64(i) * interval,
                                    submission: QueueStatus(kind: .submission, head: head, tail: tail, capacity: 64),
                                    completion: QueueStatus(kind: .completion, head: head, tail: head, capacity: 64),
                                    slots: SlotTable(slotCount: 64, counts: SlotTable.Counts(free: 64 - busy.count, submitted: busy.count), busy: busy))
            guard i >= 120 else { return RecordedFrame(snapshot: snapshot, status: .ok, findings: []) }
            let stalled = Double(i - 110) / 10
            let finding = Finding(rule: .consumerStalled, severity: .critical, subject: "sq",
                                  message: "the responder (pid 42) has not taken from the submission queue for \(stalled)s",
                                  evidence: ["stalledSeconds": stalled, "used": 3], culprit: .responder)
            return RecordedFrame(snapshot: snapshot, status: .stuck, findings: [finding])
        }
    }

    static func write(_ frames: [RecordedFrame], interval: UInt64, to path: String) throws {
        var encoder = RecordingEncoder(intervalNanoseconds: interval)
        var h = header(interval: interval)
        h.ring = frames.first?.snapshot.name ?? "/x"
        var bytes = RecordingFormat.magic + encoder.header(h)
        for frame in frames { bytes += encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes }
        bytes += encoder.end(RecordingEnd(reason: .duration, monotonicNanoseconds: 0, samples: frames.count))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
