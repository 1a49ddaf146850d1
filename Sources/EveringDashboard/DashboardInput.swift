import EveringInspect

/// Everything a frame shows besides the view state: where the connection to the ring
/// stands, the latest snapshot, the sampler's history and peaks, and the alerts.
public struct DashboardInput: Sendable {
    public enum Connection: Equatable, Sendable {
        /// The ring does not exist or is not ready yet; the reason says which.
        case waiting(reason: String)
        case live
        /// The ring went away (unlinked, replaced, truncated); the last frame stays up.
        case gone(reason: String)
    }

    /// The ring's name as the user gave it (shown before any snapshot exists).
    public var name: String
    public var connection: Connection
    /// The latest snapshot (for `gone`: the last one read before it went).
    public var snapshot: Snapshot?
    /// Oldest first.
    public var history: [Sample]
    public var peaks: Peaks
    /// Alerts over time, in display order (`AlertLog.ordered`).
    public var alerts: [AlertLog.Entry]
    /// The status word of the latest report (nil before the first snapshot, unless waiting).
    public var status: RingStatus?

    public init(name: String, connection: Connection, snapshot: Snapshot? = nil, history: [Sample] = [],
                peaks: Peaks = Peaks(), alerts: [AlertLog.Entry] = [], status: RingStatus? = nil) {
        self.name = name
        self.connection = connection
        self.snapshot = snapshot
        self.history = history
        self.peaks = peaks
        self.alerts = alerts
        if let status {
            self.status = status
        } else if case .waiting = connection, snapshot == nil {
            self.status = .notReady
        } else {
            self.status = nil
        }
    }

    /// The findings active in the latest report, root causes and symptoms.
    public var activeFindings: [Finding] { alerts.filter(\.isActive).map(\.finding) }
}

/// Incidents over time: diagnosis reports what is wrong *now* on every sample; the alerts
/// panel shows each incident (root cause, symptoms under it) while it lasts, and keeps an
/// alert that ended for a while, saying how it ended:
/// - *resolved*: its condition cleared and nothing took its place;
/// - *superseded*: it ended while an incident blaming the same party is active, i.e. the
///   fault persists in a more specific or later form (hung → dead, consumer stalled →
///   producer blocked). A fault that persists is never shown as resolved.
/// An alert is identified by its finding's rule and subject (`Finding.key`).
public struct AlertLog: Sendable, Equatable {
    public enum Lifecycle: Sendable, Equatable {
        case active
        case resolved
        /// By the root cause (its `Finding.key`) of the incident that took its place.
        case superseded(by: String)
    }

    public struct Entry: Sendable, Equatable {
        public var finding: Finding
        /// CLOCK_MONOTONIC ns when this rule+subject first appeared (in its current episode).
        public var firstSeen: UInt64
        public var lastSeen: UInt64
        public var lifecycle: Lifecycle
        /// The incident it belongs (or last belonged) to: its root cause's key.
        public var incidentID: String
        /// Whether it is that incident's root cause (else a symptom).
        public var isRootCause: Bool
        /// The party the incident blamed.
        public var culprit: Finding.Party?

        public var isActive: Bool { lifecycle == .active }
    }

    /// Ended alerts stay listed (dimmed) this long.
    public var keepResolvedNanoseconds: UInt64
    public private(set) var entries: [Entry] = []
    /// Incident ids of the latest update, worst first (the display order of active alerts).
    private var incidentOrder: [String] = []

    public init(keepResolvedSeconds: Double = 30) {
        keepResolvedNanoseconds = UInt64(keepResolvedSeconds * 1e9)
    }

    /// Folds in the findings of one sample taken at `time` (grouped into incidents).
    public mutating func update(_ findings: [Finding], at time: UInt64) {
        update(incidents: Incident.group(findings), at: time)
    }

    /// Folds in the incidents of one sample taken at `time`.
    public mutating func update(incidents: [Incident], at time: UInt64) {
        var seen = Set<String>()
        for incident in incidents {
            for (offset, finding) in incident.findings.enumerated() {
                let key = finding.key
                seen.insert(key)
                if let index = entries.firstIndex(where: { $0.finding.key == key }) {
                    if !entries[index].isActive { entries[index].firstSeen = time }  // a new episode
                    entries[index].finding = finding
                    entries[index].lastSeen = time
                    entries[index].lifecycle = .active
                    entries[index].incidentID = incident.id
                    entries[index].isRootCause = offset == 0
                    entries[index].culprit = incident.culprit
                } else {
                    entries.append(Entry(finding: finding, firstSeen: time, lastSeen: time, lifecycle: .active,
                                         incidentID: incident.id, isRootCause: offset == 0, culprit: incident.culprit))
                }
            }
        }
        for index in entries.indices where entries[index].isActive && !seen.contains(entries[index].finding.key) {
            let culprit = entries[index].culprit
            if culprit != nil, let successor = incidents.first(where: { $0.culprit == culprit }) {
                entries[index].lifecycle = .superseded(by: successor.id)
            } else {
                entries[index].lifecycle = .resolved
            }
        }
        incidentOrder = incidents.map(\.id)
        entries.removeAll { !$0.isActive && time &- $0.lastSeen > keepResolvedNanoseconds }
    }

    /// Active alerts by incident (worst incident first, its root cause, then its symptoms),
    /// then the ended ones, newest first.
    public var ordered: [Entry] {
        let rank = Dictionary(incidentOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return entries.sorted { a, b in
            if a.isActive != b.isActive { return a.isActive }
            if a.isActive {
                let (ra, rb) = (rank[a.incidentID] ?? .max, rank[b.incidentID] ?? .max)
                if ra != rb { return ra < rb }
                if a.isRootCause != b.isRootCause { return a.isRootCause }
                return a.finding.severity > b.finding.severity
            }
            if a.lastSeen != b.lastSeen { return a.lastSeen > b.lastSeen }
            return a.finding.severity > b.finding.severity
        }
    }
}
