import EveringInspect
import Foundation

/// A recording read into memory and indexed: every record up to the first bad one, and
/// that one's error (`damage`). Frames come back as whole snapshots, rebuilt from the
/// keyframe before them and the deltas since (`frame(at:)`), so a reader can seek.
///
///     let recording = try RecordingReader(path: "ring.evrec")
///     let frame = try recording.frame(at: recording.index(atOffsetSeconds: 12.5))
///     print(frame.snapshot.submission.used, frame.status)
public final class RecordingReader {
    /// One sample of the recording, as stored.
    public struct StoredFrame: Sendable {
        public var kind: RecordKind
        public var frame: RecordedFrame
        /// The ring generation: 0 for the first object, +1 after each re-creation.
        public var epoch: Int
        public var time: UInt64 { frame.snapshot.takenAtMonotonicNanoseconds }
    }

    public let path: String
    public let header: RecordingHeader
    public private(set) var frames: [StoredFrame] = []
    public private(set) var boundaries: [RingBoundary] = []
    /// How the file was finished; nil if it was not (a crash, a kill, a cut copy).
    public private(set) var end: RecordingEnd?
    /// The first bad record, if any: everything before it is in `frames`.
    public private(set) var damage: RecordingError?
    /// Index into `frames` of each keyframe, ascending.
    private var keyframes: [Int] = []

    /// Reads `path`. Throws only when nothing usable is there (no file, no magic, no
    /// valid header); a bad record later ends the recording early and sets `damage`.
    public convenience init(path: String) throws(RecordingError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .cannotOpen(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(bytes: bytes, path: path)
    }

    public init(bytes: [UInt8], path: String) throws(RecordingError) {
        self.path = path
        let magic = RecordingFormat.magic
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw .notARecording(path: path) }
        let decoder = JSONDecoder()
        var offset = magic.count
        var number = 0
        var parsedHeader: RecordingHeader?
        var epoch = 0
        var lastTime: UInt64 = 0
        scan: while offset < bytes.count {
            let start = offset
            guard bytes.count - offset >= RecordingFormat.recordHeaderSize else {
                damage = .truncated(path: path, record: number, offset: start)
                break
            }
            let length = Self.u32(bytes, offset)
            let crc = Self.u32(bytes, offset + 4)
            let kindByte = bytes[offset + 8]
            guard Int(length) <= RecordingFormat.maximumPayloadSize else {
                damage = .badRecord(path: path, record: number, offset: start, reason: "length \(length) exceeds the format's limit")
                break
            }
            let payloadStart = offset + RecordingFormat.recordHeaderSize
            guard bytes.count - payloadStart >= Int(length) else {
                damage = .truncated(path: path, record: number, offset: start)
                break
            }
            let payload = bytes[payloadStart ..< payloadStart + Int(length)]
            var checksum = CRC32()
            checksum.update(CollectionOfOne(kindByte))
            checksum.update(payload)
            guard checksum.value == crc else {
                damage = .badChecksum(path: path, record: number, offset: start)
                break
            }
            func bad(_ reason: String) -> RecordingError { .badRecord(path: path, record: number, offset: start, reason: reason) }
            guard let kind = RecordKind(rawValue: kindByte) else { damage = bad("unknown kind \(kindByte)"); break }
            let data = Data(payload)
            do {
                if number == 0 {
                    guard kind == .header else { throw bad("the first record is not a header") }
                    let h = try decoder.decode(RecordingHeader.self, from: data)
                    guard h.format == "evering-recording" else { throw RecordingError.notARecording(path: path) }
                    guard h.version == RecordingFormat.version else { throw RecordingError.unsupportedVersion(path: path, version: h.version) }
                    parsedHeader = h
                } else {
                    switch kind {
                    case .header: throw bad("a second header")
                    case .keyframe, .delta:
                        let frame = try decoder.decode(RecordedFrame.self, from: data)
                        if kind == .delta && frames.isEmpty { throw bad("a delta before any keyframe") }
                        if kind == .delta && frame.snapshot.slots != nil && frames.last?.frame.snapshot.slots == nil {
                            throw bad("a slot delta after a frame without slots")
                        }
                        let time = frame.snapshot.takenAtMonotonicNanoseconds
                        if !frames.isEmpty && time < lastTime { throw bad("time goes backwards") }
                        lastTime = time
                        if kind == .keyframe { keyframes.append(frames.count) }
                        frames.append(StoredFrame(kind: kind, frame: frame, epoch: epoch))
                    case .boundary:
                        let boundary = try decoder.decode(RingBoundary.self, from: data)
                        if boundary.event == .recreated { epoch += 1 }
                        boundaries.append(boundary)
                    case .end:
                        end = try decoder.decode(RecordingEnd.self, from: data)
                        offset = payloadStart + Int(length)
                        number += 1
                        if offset < bytes.count { damage = bad("data after the end record") }
                        break scan
                    }
                }
            } catch let error as RecordingError {
                if number == 0 { throw error }
                damage = error
                break
            } catch {
                if number == 0 { throw .notARecording(path: path) }
                damage = bad("undecodable payload: \(Self.reason(error))")
                break
            }
            offset = payloadStart + Int(length)
            number += 1
        }
        guard let parsedHeader else {
            throw damage ?? .notARecording(path: path)
        }
        header = parsedHeader
    }

    public var isEmpty: Bool { frames.isEmpty }
    public var startTime: UInt64 { frames.first?.time ?? header.startedMonotonicNanoseconds }

    /// Seconds from the first sample to frame `index`.
    public func offsetSeconds(_ index: Int) -> Double {
        Double(frames[index].time &- startTime) / 1e9
    }

    /// Seconds from the first sample to the last.
    public var durationSeconds: Double { frames.isEmpty ? 0 : offsetSeconds(frames.count - 1) }

    /// The wall-clock time of frame `index` (the realtime clock the recorder read with it).
    public func realtimeNanoseconds(_ index: Int) -> UInt64 { frames[index].frame.snapshot.takenAtRealtimeNanoseconds }

    /// The last frame taken at or before `seconds` after the first (the first if earlier,
    /// the last if later). Precondition: not empty.
    public func index(atOffsetSeconds seconds: Double) -> Int {
        precondition(!frames.isEmpty, "an empty recording has no frames")
        let target = startTime &+ UInt64((max(0, seconds) * 1e9).rounded())  // 9.9 s is 9,900,000,000 ns, not one less
        var low = 0, high = frames.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if frames[mid].time <= target { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Frame `index` with its slot table rebuilt: the keyframe before it, then each delta's
    /// changed records and `freed` indices; records carried over are aged by the time since
    /// they were written.
    public func frame(at index: Int) -> RecordedFrame {
        precondition(frames.indices.contains(index), "frame \(index) of \(frames.count)")
        var result = frames[index].frame
        guard frames[index].kind == .delta else { return result }
        let keyIndex = keyframes[Self.lastIndex(in: keyframes, atMost: index)]
        var held: [UInt32: (record: SlotTable.Record, at: UInt64)] = [:]
        var header: HeaderStatus?
        var pending: [(entries: [QueueEntry], at: UInt64)] = [([], 0), ([], 0)]
        for i in keyIndex...index {
            let stored = frames[i]
            let time = stored.time
            let snapshot = stored.frame.snapshot
            let carried = Set(stored.frame.carried ?? [])
            if stored.kind == .keyframe { held = [:] }
            for slot in stored.frame.freed ?? [] { held[slot] = nil }
            for record in snapshot.slots?.busy ?? [] { held[record.index] = (record, time) }
            if !carried.contains(.header) { header = snapshot.header }
            if !carried.contains(.submissionPending) { pending[0] = (snapshot.submission.pending, time) }
            if !carried.contains(.completionPending) { pending[1] = (snapshot.completion.pending, time) }
        }
        let now = result.snapshot.takenAtMonotonicNanoseconds
        func aged(_ part: (entries: [QueueEntry], at: UInt64)) -> [QueueEntry] {
            part.entries.map { entry in
                var entry = entry
                entry.ageNanoseconds = entry.ageNanoseconds.map { $0 &+ (now &- part.at) }
                return entry
            }
        }
        result.snapshot.header = header
        result.snapshot.submission.pending = aged(pending[0])
        result.snapshot.completion.pending = aged(pending[1])
        if result.snapshot.slots != nil {
            result.snapshot.slots?.busy = held.values.map { entry in
                var record = entry.record
                let elapsed = now &- entry.at
                record.ageNanoseconds &+= elapsed
                record.completedAgeNanoseconds = record.completedAgeNanoseconds.map { $0 &+ elapsed }
                return record
            }.sorted { $0.index < $1.index }
        }
        result.freed = nil
        result.carried = nil
        return result
    }

    private static func lastIndex(in sorted: [Int], atMost value: Int) -> Int {
        var low = 0, high = sorted.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if sorted[mid] <= value { low = mid } else { high = mid - 1 }
        }
        return low
    }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func reason(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case let .dataCorrupted(context), let .keyNotFound(_, context), let .typeMismatch(_, context),
                 let .valueNotFound(_, context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
