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
    public var alerts: [AlertLog.Entry]
    /// Source-specific facts for the header's second row when the source has no sides
    /// (io_uring: setup flags, SQPOLL thread, registered files and buffers, overflow).
    public var sourceFacts: [Fact]

    /// One header segment, e.g. "overflow 3" (drawn as a warning when it needs attention).
    public struct Fact: Equatable, Sendable {
        public var text: String
        public var needsAttention: Bool
        public init(_ text: String, needsAttention: Bool = false) {
            self.text = text
            self.needsAttention = needsAttention
        }
    }

    public init(name: String, connection: Connection, snapshot: Snapshot? = nil, history: [Sample] = [],
                peaks: Peaks = Peaks(), alerts: [AlertLog.Entry] = [], sourceFacts: [Fact] = []) {
        self.name = name
        self.connection = connection
        self.snapshot = snapshot
        self.history = history
        self.peaks = peaks
        self.alerts = alerts
        self.sourceFacts = sourceFacts
    }
}

/// Findings over time: diagnosis reports what is wrong *now* on every sample; the alerts
/// panel wants "newest first" and to keep a just-resolved alert visible for a while.
/// A finding is identified by its rule and subject.
public struct AlertLog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var finding: Finding
        /// CLOCK_MONOTONIC ns when this rule+subject first appeared (in its current episode).
        public var firstSeen: UInt64
        public var lastSeen: UInt64
        public var isActive: Bool
    }

    /// Resolved alerts stay listed (dimmed) this long.
    public var keepResolvedNanoseconds: UInt64
    public private(set) var entries: [Entry] = []

    public init(keepResolvedSeconds: Double = 30) {
        keepResolvedNanoseconds = UInt64(keepResolvedSeconds * 1e9)
    }

    /// Folds in the findings of one sample taken at `time`.
    public mutating func update(_ findings: [Finding], at time: UInt64) {
        var seen = Set<String>()
        for finding in findings {
            let key = Self.key(finding)
            seen.insert(key)
            if let index = entries.firstIndex(where: { Self.key($0.finding) == key }) {
                if !entries[index].isActive { entries[index].firstSeen = time }  // a new episode
                entries[index].finding = finding
                entries[index].lastSeen = time
                entries[index].isActive = true
            } else {
                entries.append(Entry(finding: finding, firstSeen: time, lastSeen: time, isActive: true))
            }
        }
        for index in entries.indices where !seen.contains(Self.key(entries[index].finding)) {
            entries[index].isActive = false
        }
        entries.removeAll { !$0.isActive && time &- $0.lastSeen > keepResolvedNanoseconds }
    }

    /// Active alerts first, each group newest first, then by severity.
    public var ordered: [Entry] {
        entries.sorted { a, b in
            if a.isActive != b.isActive { return a.isActive }
            if a.firstSeen != b.firstSeen { return a.firstSeen > b.firstSeen }
            return a.finding.severity > b.finding.severity
        }
    }

    static func key(_ finding: Finding) -> String { "\(finding.rule.rawValue)|\(finding.subject)" }
}
