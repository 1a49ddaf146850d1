import EveringInspect

/// One ring as a row of the overview table: the figures its columns show and sort by,
/// taken from the fleet sampler's state for that ring (`FleetSampler.RingState`).
public struct OverviewRow: Equatable, Sendable {
    /// One side of the ring as the table shows it: a pid and whether it lives.
    public struct Side: Equatable, Sendable {
        public var pid: Int32
        public var state: SideStatus.AttachState
        public var liveness: Liveness

        public init(pid: Int32, state: SideStatus.AttachState, liveness: Liveness) {
            self.pid = pid
            self.state = state
            self.liveness = liveness
        }
    }

    public var name: String
    public var status: RingStatus
    /// nil: the side never attached (or the source has no sides).
    public var requester: Side?
    public var responder: Side?
    public var submissionUsed: UInt64
    public var submissionCapacity: UInt32
    public var completionUsed: UInt64
    public var completionCapacity: UInt32
    /// Completions per second over the last interval; nil before the second sample.
    public var opsPerSecond: Double?
    /// Age of the oldest op in flight; nil when none is.
    public var oldestInFlightNanoseconds: UInt64?
    /// Active findings (root causes and symptoms) of the latest report.
    public var findings: Int
    /// The user owning the shm object.
    public var owner: String?

    public init(name: String, status: RingStatus, requester: Side? = nil, responder: Side? = nil,
                submissionUsed: UInt64 = 0, submissionCapacity: UInt32 = 0,
                completionUsed: UInt64 = 0, completionCapacity: UInt32 = 0,
                opsPerSecond: Double? = nil, oldestInFlightNanoseconds: UInt64? = nil, findings: Int = 0,
                owner: String? = nil) {
        self.name = name
        self.status = status
        self.requester = requester
        self.responder = responder
        self.submissionUsed = submissionUsed
        self.submissionCapacity = submissionCapacity
        self.completionUsed = completionUsed
        self.completionCapacity = completionCapacity
        self.opsPerSecond = opsPerSecond
        self.oldestInFlightNanoseconds = oldestInFlightNanoseconds
        self.findings = findings
        self.owner = owner
    }

    /// The row for one sampled evering ring.
    public init(_ ring: FleetSampler.RingState) {
        self.init(name: ring.name, snapshot: ring.snapshot, rates: ring.rates, findingCount: ring.findings.count,
                  status: ring.status, owner: ring.owner)
    }

    /// The row for any ring source's latest snapshot. A single-owner source (an io_uring)
    /// has no sides: its process goes in the requester column (it submits), the responder
    /// column stays empty (the kernel), and the oldest op is the oldest pending entry.
    public init(name: String, snapshot: Snapshot, rates: Rates?, findingCount: Int, status: RingStatus, owner: String?) {
        func side(_ status: SideStatus?) -> Side? {
            guard let status, status.state != .never else { return nil }
            return Side(pid: status.pid, state: status.state, liveness: status.liveness)
        }
        let requester = side(snapshot.requester)
            ?? snapshot.process.map { Side(pid: $0.pid, state: .attached, liveness: $0.liveness) }
        let oldest = snapshot.slots.map { $0.busy.lazy.filter { $0.state.isInFlight }.map(\.ageNanoseconds).max() }
            ?? (snapshot.submission.pending + snapshot.completion.pending).compactMap(\.ageNanoseconds).max()
        self.init(name: name, status: status, requester: requester, responder: side(snapshot.responder),
                  submissionUsed: snapshot.submission.used, submissionCapacity: snapshot.submission.capacity,
                  completionUsed: snapshot.completion.used, completionCapacity: snapshot.completion.capacity,
                  opsPerSecond: rates?.completionsPerSecond, oldestInFlightNanoseconds: oldest ?? nil,
                  findings: findingCount, owner: owner)
    }

    /// How alarming the status is, worst highest: the order sorting by status puts first.
    public var statusRank: Int {
        switch status {
        case .dead: 6
        case .stuck: 5
        case .degraded: 4
        case .gone: 3
        case .notReady: 2
        case .stale: 1
        case .ok: 0
        }
    }

    /// A STUCK or DEAD ring: drawn highlighted.
    public var isAlarming: Bool { status.level >= 2 }

    public var submissionFill: Double { submissionCapacity == 0 ? 0 : Double(submissionUsed) / Double(submissionCapacity) }
    public var completionFill: Double { completionCapacity == 0 ? 0 : Double(completionUsed) / Double(completionCapacity) }
}
