import EveringInspect
import Foundation

/// `record --on-finding`: keeps the last `before` of records in memory and writes a file
/// only when an incident starts — from a keyframe at least `before` earlier to `after`
/// later — named by ring and time, keeping the newest `keep` files of that ring.
public final class BlackBoxSink: Recorder.Sink {
    public let directory: String
    public let beforeNanoseconds: UInt64
    public let afterNanoseconds: UInt64
    public let keep: Int
    /// Paths written so far, oldest first.
    public private(set) var written: [String] = []

    private struct Buffered {
        var time: UInt64
        var kind: RecordKind
        var bytes: [UInt8]
    }

    private var header: RecordingHeader?
    private var buffer: [Buffered] = []
    private var activeIncidents: Set<String> = []
    /// While capturing: the trigger, and when the window after it closes.
    private var capture: (trigger: String, at: UInt64, until: UInt64)?
    private let encoder = RecordingEncoder(intervalNanoseconds: 1)
    /// Called with each file written (the command prints its path).
    public var onWrite: ((String) -> Void)?

    public init(directory: String, beforeNanoseconds: UInt64, afterNanoseconds: UInt64, keep: Int) {
        self.directory = directory
        self.beforeNanoseconds = beforeNanoseconds
        self.afterNanoseconds = afterNanoseconds
        self.keep = keep
    }

    public func start(header: RecordingHeader, headerRecord: [UInt8]) throws -> Bool {
        self.header = header
        return true
    }

    public func accept(_ record: [UInt8], kind: RecordKind, frame: RecordedFrame, incidents: [Incident]) throws -> Bool {
        let now = frame.snapshot.takenAtMonotonicNanoseconds
        buffer.append(Buffered(time: now, kind: kind, bytes: record))
        let ids = Set(incidents.map(\.id))
        let started = ids.subtracting(activeIncidents)
        activeIncidents = ids
        if capture == nil, let first = incidents.first(where: { started.contains($0.id) }) {
            capture = (first.id, now, now &+ afterNanoseconds)
        }
        if let capture, now >= capture.until {
            try writeFile(trigger: capture.trigger, at: capture.at, end: now, reason: .window)
            self.capture = nil
        }
        prune(now: now)
        return true
    }

    public func accept(boundary record: [UInt8], _ boundary: RingBoundary) throws -> Bool {
        buffer.append(Buffered(time: boundary.monotonicNanoseconds, kind: .boundary, bytes: record))
        return true
    }

    /// Stopped while capturing: write what there is (the window is cut short).
    public func finish(_ end: RecordingEnd, record: [UInt8]) throws {
        if let capture { try writeFile(trigger: capture.trigger, at: capture.at, end: end.monotonicNanoseconds, reason: end.reason) }
        capture = nil
    }

    /// Drops whole keyframe groups older than the window we may still need, so the
    /// buffer always starts with a keyframe.
    private func prune(now: UInt64) {
        let horizon = (capture?.at ?? now) &- min(beforeNanoseconds, capture?.at ?? now)
        let keyframes = buffer.indices.filter { buffer[$0].kind == .keyframe }
        // The last keyframe at or before the horizon: everything before it can go.
        guard let cut = keyframes.last(where: { buffer[$0].time <= horizon }), cut > 0 else { return }
        buffer.removeFirst(cut)
    }

    private func writeFile(trigger: String, at: UInt64, end: UInt64, reason: RecordingEnd.Reason) throws {
        guard var header, let first = buffer.firstIndex(where: { $0.kind == .keyframe }) else { return }
        header.trigger = trigger
        let path = (directory as NSString).appendingPathComponent(Self.fileName(ring: header.ring, at: header.startedRealtimeNanoseconds
            &+ (at &- header.startedMonotonicNanoseconds)))
        let file = try RecordingFile(creating: path)
        _ = try file.append(encoder.header(header))
        var samples = 0
        for record in buffer[first...] {
            _ = try file.append(record.bytes)
            if record.kind == .keyframe || record.kind == .delta { samples += 1 }
        }
        try file.finish(encoder.end(RecordingEnd(reason: reason, monotonicNanoseconds: end, samples: samples)))
        written.append(path)
        onWrite?(path)
        try removeOldFiles(ring: header.ring)
    }

    /// `RING-YYYYMMDD-HHMMSS.mmm.evrec` (UTC), so names sort by time.
    static func fileName(ring: String, at realtime: UInt64) -> String {
        let base = ring.split(separator: "/").joined(separator: "_")
        let date = Date(timeIntervalSince1970: Double(realtime) / 1e9)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        let millis = String(format: "%03d", (c.nanosecond ?? 0) / 1_000_000)
        return "\(base)-\(c.year ?? 0)\(two(c.month))\(two(c.day))-\(two(c.hour))\(two(c.minute))\(two(c.second)).\(millis).\(RecordingFormat.fileExtension)"
    }

    /// Whether `name` is one of `ring`'s files as `fileName` names them: the ring's name, then
    /// exactly the timestamp. Not a prefix match: ring `a`'s files must not count `a-b`'s.
    static func isFile(_ name: String, of ring: String) -> Bool {
        let prefix = ring.split(separator: "/").joined(separator: "_") + "-"
        let suffix = "." + RecordingFormat.fileExtension
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count == prefix.count + 19 + suffix.count else { return false }
        // YYYYMMDD-HHMMSS.mmm
        let stamp = Array(name.dropFirst(prefix.count).dropLast(suffix.count).utf8)
        for (i, byte) in stamp.enumerated() {
            switch i {
            case 8: guard byte == UInt8(ascii: "-") else { return false }
            case 15: guard byte == UInt8(ascii: ".") else { return false }
            default: guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return false }
            }
        }
        return true
    }

    private func removeOldFiles(ring: String) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { Self.isFile($0, of: ring) }.sorted()
        for name in names.dropLast(keep) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }
}
