/// The one word that says how a ring is, computed in one place (`RingStatus.of`) from the
/// incidents, and shown the same by `list`, `dump`, `watch`, `check` and the dashboard.
/// docs/CLI.md has the table of conditions and `check` exit codes.
public enum RingStatus: String, Codable, Sendable, CaseIterable {
    /// No incident.
    case ok = "OK"
    /// Only warnings: something needs a look (leaked cancellations, an old op, entries
    /// waiting for a side that is not attached) but nothing is stuck.
    case degraded = "DEGRADED"
    /// A critical incident: a queue stalled or blocked, a side hung or stopped, slots exhausted, corruption.
    case stuck = "STUCK"
    /// A side died without detaching (or left ops in flight its peer waits for); both sides crashed included.
    case dead = "DEAD"
    /// Nobody uses the ring any more: no side attached, every side that attached left
    /// cleanly (detached), and nothing is wrong with what they left. Its name can be unlinked.
    case stale = "STALE"
    /// The ring no longer exists: unlinked, replaced or truncated (an io_uring: its process
    /// exited or closed it). What is shown is the last state read.
    case gone = "GONE"
    /// The object exists but its creator has not finished setting it up.
    case notReady = "NOT READY"

    /// The word for a snapshot and its incidents. In order: GONE, DEAD, STUCK, DEGRADED, STALE, OK.
    public static func of(_ snapshot: Snapshot, incidents: [Incident]) -> RingStatus {
        let roots = incidents.map(\.rootCause)
        if !snapshot.isIntact || !snapshot.isStillLinked || roots.contains(where: { $0.rule == .ringGone }) { return .gone }
        if roots.contains(where: { $0.rule == .peerDead }) { return .dead }
        if incidents.contains(where: { $0.severity == .critical }) { return .stuck }
        // A ring both sides left with something wrong (cancelled slots never completed,
        // entries nobody took) says what is wrong rather than STALE.
        if !incidents.isEmpty { return .degraded }
        let sides = [snapshot.requester, snapshot.responder].compactMap { $0 }
        if !sides.isEmpty, !sides.contains(where: { $0.state == .attached }), sides.contains(where: { $0.state == .detached }) {
            return .stale
        }
        return .ok
    }

    /// `check`'s exit code: 0 for OK and STALE (nothing is wrong with a ring both sides left
    /// cleanly, and nothing waits on it), 1 for DEGRADED, STUCK, DEAD and GONE, 2 for a ring
    /// it could not attach (NOT READY included).
    public var checkExitCode: Int32 {
        switch self {
        case .ok, .stale: 0
        case .notReady: 2
        default: 1
        }
    }

    /// How alarming, for colour: 0 good, 1 warning, 2 critical.
    public var level: Int {
        switch self {
        case .ok: 0
        case .degraded, .stale, .gone, .notReady: 1
        case .stuck, .dead: 2
        }
    }
}
