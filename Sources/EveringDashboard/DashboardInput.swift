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
    /// Source-specific facts for the header's second row when the source has no sides
    /// (io_uring: setup flags, SQPOLL thread, registered files and buffers, overflow).
    public var sourceFacts: [Fact]
    /// The status word of the latest report (nil before the first snapshot, unless waiting).
    public var status: RingStatus?

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
                peaks: Peaks = Peaks(), alerts: [AlertLog.Entry] = [], status: RingStatus? = nil,
                sourceFacts: [Fact] = []) {
        self.name = name
        self.connection = connection
        self.snapshot = snapshot
        self.history = history
        self.peaks = peaks
        self.alerts = alerts
        self.sourceFacts = sourceFacts
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

