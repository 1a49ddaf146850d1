import EveringInspect
import Foundation

/// Turns samples into records (pure: bytes out, no I/O), deciding per sample between a
/// keyframe and a delta and which slot records a delta carries.
///
/// A delta holds the whole snapshot (queues, sides, header, counts: small) except the
/// slot table's records: only those of slots busy for at least one interval whose op
/// changed (state, generation, fields) since the reader last saw them, plus `freed` for
/// the ones the reader holds that are gone. A healthy ring's microsecond ops so never
/// reach the file, and a stuck ring's thousand busy slots are written once, not per sample.
/// Ages are not a change: the reader ages a record by the time since it was written.
public struct RecordingEncoder {
    public let intervalNanoseconds: UInt64
    public let keyframeIntervalNanoseconds: UInt64
    /// The slot records a reader holds after the last record, by index.
    private var believed: [UInt32: SlotTable.Record] = [:]
    private var lastKeyframe: UInt64?
    private var needsKeyframe = true
    /// The header and the entries at each queue's head as a reader holds them.
    private var lastHeader: HeaderStatus?
    private var lastPending: [[QueueEntry]] = [[], []]
    private let json: JSONEncoder

    public init(intervalNanoseconds: UInt64, keyframeIntervalNanoseconds: UInt64 = 10_000_000_000) {
        self.intervalNanoseconds = intervalNanoseconds
        self.keyframeIntervalNanoseconds = keyframeIntervalNanoseconds
        json = JSONEncoder()
        json.outputFormatting = [.withoutEscapingSlashes]
    }

    /// The header record.
    public func header(_ header: RecordingHeader) -> [UInt8] { record(.header, header) }

    /// A boundary record; the next frame is a keyframe.
    public mutating func boundary(_ boundary: RingBoundary) -> [UInt8] {
        needsKeyframe = true
        return record(.boundary, boundary)
    }

    public func end(_ end: RecordingEnd) -> [UInt8] { record(.end, end) }

    /// Makes the next frame a keyframe (black-box mode starts each file with one).
    public mutating func forceKeyframe() { needsKeyframe = true }

    /// The record for one sample, and whether it is a keyframe.
    public mutating func frame(_ snapshot: Snapshot, status: RingStatus, findings: [Finding]) -> (kind: RecordKind, bytes: [UInt8]) {
        let now = snapshot.takenAtMonotonicNanoseconds
        let keyframeDue = lastKeyframe.map { now &- $0 >= keyframeIntervalNanoseconds } ?? true
        if needsKeyframe || keyframeDue || snapshot.slots == nil {
            needsKeyframe = false
            lastKeyframe = now
            believed = Dictionary(uniqueKeysWithValues: (snapshot.slots?.busy ?? []).map { ($0.index, $0) })
            lastHeader = snapshot.header
            lastPending = [snapshot.submission.pending, snapshot.completion.pending]
            return (.keyframe, record(.keyframe, RecordedFrame(snapshot: snapshot, status: status, findings: findings)))
        }
        var delta = snapshot
        var changed: [SlotTable.Record] = []
        var current = Set<UInt32>()
        for slot in snapshot.slots?.busy ?? [] where slot.ageNanoseconds >= intervalNanoseconds {
            current.insert(slot.index)
            if let known = believed[slot.index], Self.sameOp(known, slot) { continue }
            changed.append(slot)
            believed[slot.index] = slot
        }
        var freed: [UInt32] = []
        for index in believed.keys where !current.contains(index) { freed.append(index) }
        freed.sort()
        for index in freed { believed[index] = nil }
        delta.slots?.busy = changed
        var carried: [RecordedFrame.CarriedPart] = []
        if snapshot.header == lastHeader {
            delta.header = nil
            carried.append(.header)
        }
        lastHeader = snapshot.header
        if Self.samePending(snapshot.submission.pending, lastPending[0]) {
            delta.submission.pending = []
            carried.append(.submissionPending)
        }
        if Self.samePending(snapshot.completion.pending, lastPending[1]) {
            delta.completion.pending = []
            carried.append(.completionPending)
        }
        lastPending = [snapshot.submission.pending, snapshot.completion.pending]
        let frame = RecordedFrame(snapshot: delta, freed: freed.isEmpty ? nil : freed, status: status, findings: findings,
                                  carried: carried.isEmpty ? nil : carried)
        return (.delta, record(.delta, frame))
    }

    /// The same entries but for their ages (which the reader advances); an empty list is
    /// never "carried" (it costs nothing to write).
    static func samePending(_ a: [QueueEntry], _ b: [QueueEntry]) -> Bool {
        guard !a.isEmpty, a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            var x = x, y = y
            guard (x.ageNanoseconds == nil) == (y.ageNanoseconds == nil) else { return false }
            x.ageNanoseconds = nil
            y.ageNanoseconds = nil
            if x != y { return false }
        }
        return true
    }

    /// The same op in the same state: everything but the ages (which the reader derives).
    static func sameOp(_ a: SlotTable.Record, _ b: SlotTable.Record) -> Bool {
        a.index == b.index && a.state == b.state && a.rawState == b.rawState && a.generation == b.generation
            && a.opcode == b.opcode && a.length == b.length && a.userData == b.userData
            && a.latencyNanoseconds == b.latencyNanoseconds && a.isChanging == b.isChanging
    }

    private func record<T: Encodable>(_ kind: RecordKind, _ value: T) -> [UInt8] {
        // Our own plain value types: encoding cannot fail short of a bug.
        guard let payload = try? json.encode(value) else { preconditionFailure("cannot encode \(T.self)") }
        return Self.frameRecord(kind, Array(payload))
    }

    /// Length, CRC-32 of kind and payload, kind, payload (RecordingFormat).
    public static func frameRecord(_ kind: RecordKind, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + RecordingFormat.recordHeaderSize)
        let length = UInt32(payload.count)
        var checksum = CRC32()
        checksum.update(CollectionOfOne(kind.rawValue))
        checksum.update(payload)
        let crc = checksum.value
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        out.append(kind.rawValue)
        out.append(contentsOf: payload)
        return out
    }
}
