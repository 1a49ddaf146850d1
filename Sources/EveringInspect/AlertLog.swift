/// Incidents over time: diagnosis reports what is wrong *now* on every sample; the alerts
/// panel shows each incident (root cause, symptoms under it) while it lasts, and keeps an
/// alert that ended for a while, saying how it ended:
/// - *resolved*: its condition cleared and nothing took its place;
/// - *superseded*: it ended while an incident blaming the same party is active, i.e. the
///   fault persists in a more specific or later form (hung → dead, consumer stalled →
///   producer blocked). A fault that persists is never shown as resolved.
/// An alert is identified by its finding's rule and subject (`Finding.key`).
public struct AlertLog: Sendable, Equatable {
    public enum Lifecycle: String, Codable, Sendable {
        case active
        /// Its condition cleared and no incident blames the same party.
        case resolved
        /// Ended while an incident blaming the same party is active (`supersededBy` names it).
        case superseded
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var finding: Finding
        /// CLOCK_MONOTONIC ns when this rule+subject first appeared (in its current episode).
        public var firstSeen: UInt64
        public var lastSeen: UInt64
        public var lifecycle: Lifecycle
        /// For a superseded alert: the root cause (`Finding.key`) of the incident that took its place.
        public var supersededBy: String?
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
                    entries[index].supersededBy = nil
                    entries[index].incidentID = incident.id
                    entries[index].isRootCause = offset == 0
                    entries[index].culprit = incident.culprit
                } else {
                    entries.append(Entry(finding: finding, firstSeen: time, lastSeen: time, lifecycle: .active,
                                         supersededBy: nil, incidentID: incident.id, isRootCause: offset == 0, culprit: incident.culprit))
                }
            }
        }
        for index in entries.indices where entries[index].isActive && !seen.contains(entries[index].finding.key) {
            let culprit = entries[index].culprit
            if culprit != nil, let successor = incidents.first(where: { $0.culprit == culprit }) {
                entries[index].lifecycle = .superseded
                entries[index].supersededBy = successor.id
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
