import EveringInspect

/// The incidents of a recording over time: when each started and ended, and when its
/// condition began by the ring's own clock (`onset`), for `check FILE`.
///
/// An incident is seen when its root cause first appears in a frame's findings (the rules
/// need a stall timeout of history first); its onset is that time minus the finding's own
/// measure of how long the condition held (stalled/exhausted seconds, the heartbeat's age,
/// the oldest op's age): the moment the ring stopped moving, not the moment we noticed.
public struct IncidentTimeline: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        /// The root cause's key ("consumer-stalled sq").
        public var id: String
        public var rootCause: Finding
        public var severity: Finding.Severity
        /// CLOCK_MONOTONIC ns of the first frame that showed it, and seconds into the recording.
        public var firstSeenNanoseconds: UInt64
        public var firstSeenSeconds: Double
        /// Estimated start of the condition, by the ring's timestamps (see the type's doc).
        public var onsetNanoseconds: UInt64
        public var onsetSeconds: Double
        /// CLOCK_REALTIME ns of the onset (for people).
        public var onsetRealtimeNanoseconds: UInt64
        /// Seconds into the recording of the first frame without it; nil if still active at the end.
        public var endedSeconds: Double?
        /// Ring epoch (0, then +1 after each re-creation).
        public var epoch: Int
    }

    public var entries: [Entry]

    /// The evidence names that measure how long a condition has held, most direct first.
    /// A lost wake-up is dated by the samples that showed it (`unchangedSeconds`), not by
    /// `asleepSeconds`: the sleep may have begun well before the entry it missed.
    static let durationEvidence = ["stalledSeconds", "exhaustedSeconds", "fullSeconds", "heartbeatAgeSeconds",
                                   "oldestAgeSeconds", "headEntryAgeSeconds", "unchangedSeconds"]

    /// When `finding`'s condition began, seen at `time`.
    public static func onset(of finding: Finding, seenAt time: UInt64) -> UInt64 {
        guard let seconds = durationEvidence.lazy.compactMap({ finding.evidence[$0] }).first, seconds > 0 else { return time }
        let nanoseconds = UInt64(min(seconds, Double(time) / 1e9) * 1e9)
        return time &- min(nanoseconds, time)
    }

    public init(_ recording: RecordingReader) {
        var entries: [Entry] = []
        var open: [String: Int] = [:]
        let start = recording.startTime
        for stored in recording.frames {
            let frame = stored.frame
            let time = frame.snapshot.takenAtMonotonicNanoseconds
            let seconds = Double(time &- start) / 1e9
            let incidents = Incident.group(frame.findings)
            let ids = Set(incidents.map(\.id))
            for (id, index) in open where !ids.contains(id) {
                entries[index].endedSeconds = seconds
                open[id] = nil
            }
            for incident in incidents where open[incident.id] == nil {
                let onset = Self.onset(of: incident.rootCause, seenAt: time)
                let realtime = frame.snapshot.takenAtRealtimeNanoseconds &- (time &- onset)
                open[incident.id] = entries.count
                entries.append(Entry(id: incident.id, rootCause: incident.rootCause, severity: incident.severity,
                                     firstSeenNanoseconds: time, firstSeenSeconds: seconds, onsetNanoseconds: onset,
                                     onsetSeconds: Double(Int64(bitPattern: onset &- start)) / 1e9,
                                     onsetRealtimeNanoseconds: realtime, endedSeconds: nil, epoch: stored.epoch))
            } 
            for incident in incidents { if let index = open[incident.id] { entries[index].severity = max(entries[index].severity, incident.severity) } }
        }
        self.entries = entries
    }
}
