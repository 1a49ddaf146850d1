#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Evering

/// One object in /dev/shm as `list` reports it. Identification is by attaching read-only
/// and letting `RingObserver` validate the magic and layout: nothing is ever written or
/// deleted.
public struct RingListing: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A readable evering ring (see `status`).
        case evering
        /// An evering object whose creator has not published it yet.
        case notReady = "not-ready"
        /// Another program's object (wrong magic, too small).
        case notEvering = "not-evering"
        /// Carries the evering magic but cannot be read safely (bad layout, wrong ABI, truncated).
        case unreadable
        /// This user may not open it.
        case permissionDenied = "permission-denied"
    }

    /// What `list` prints in its status column.
    public enum Status: String, Codable, Sendable {
        case ok = "OK"
        /// Findings other than a dead peer.
        case stuck = "STUCK"
        /// A side died while attached or with ops in flight.
        case dead = "DEAD"
        /// Both sides are gone: nobody uses this ring; its name can be unlinked.
        case stale = "STALE"
        case notReady = "NOT READY"
        case notEvering = "not evering"
        case unreadable = "UNREADABLE"
        case permissionDenied = "NO ACCESS"
    }

    public var name: String
    public var kind: Kind
    public var status: Status
    public var sizeBytes: UInt64?
    public var owner: String?
    /// The `RingError` message for objects that are not readable rings.
    public var reason: String?
    public var requesterPID: Int32?
    public var requesterLiveness: Liveness?
    public var responderPID: Int32?
    public var responderLiveness: Liveness?
    /// Submission queue used / capacity.
    public var submissionUsed: UInt64?
    public var submissionCapacity: UInt32?
    public var completionUsed: UInt64?
    public var completionCapacity: UInt32?
    public var findings: [Finding]?

    public init(name: String, kind: Kind, status: Status) {
        self.name = name
        self.kind = kind
        self.status = status
    }
}

/// Scans /dev/shm for rings.
public enum RingDirectory {
    /// Every object in /dev/shm, identified. Evering rings get one snapshot and a
    /// single-snapshot diagnosis (rules that need history stay silent).
    public static func scan(names: [String] = sharedMemoryObjectNames(), thresholds: Thresholds = .default) -> [RingListing] {
        names.map { listing(for: $0, thresholds: thresholds) }
    }

    /// Names of readable evering rings (and ones not ready yet), for "did you mean" messages.
    public static func everingRingNames(names: [String] = sharedMemoryObjectNames()) -> [String] {
        names.filter { raw in
            guard let name = try? RingName(raw) else { return false }
            do throws(RingError) {
                _ = try RingObserver(attaching: name)
                return true
            } catch .notReady {
                return true
            } catch {
                return false
            }
        }
    }

    public static func listing(for raw: String, thresholds: Thresholds = .default) -> RingListing {
        let display = raw.hasPrefix("/") ? raw : "/" + raw
        var listing = RingListing(name: display, kind: .notEvering, status: .notEvering)
        let info = objectInfo(raw)
        listing.sizeBytes = info?.size
        listing.owner = info?.owner
        let name: RingName
        do throws(RingError) { name = try RingName(raw) } catch {
            listing.reason = error.description
            return listing
        }
        let reader: SnapshotReader
        do throws(RingError) {
            reader = try SnapshotReader(attaching: name, pendingLimit: 1)
        } catch {
            listing.reason = error.description
            switch error {
            case .notReady: (listing.kind, listing.status) = (.notReady, .notReady)
            case .notEvering: (listing.kind, listing.status) = (.notEvering, .notEvering)
            case .permissionDenied: (listing.kind, listing.status) = (.permissionDenied, .permissionDenied)
            default: (listing.kind, listing.status) = (.unreadable, .unreadable)
            }
            return listing
        }
        listing.kind = .evering
        guard let snapshot = try? reader.snapshot() else {
            listing.status = .unreadable
            listing.reason = InspectError.objectShrank(display).description
            return listing
        }
        let findings = Diagnosis.diagnose(snapshot, thresholds: thresholds)
        listing.findings = findings
        listing.requesterPID = snapshot.requester?.pid
        listing.requesterLiveness = snapshot.requester?.liveness
        listing.responderPID = snapshot.responder?.pid
        listing.responderLiveness = snapshot.responder?.liveness
        listing.submissionUsed = snapshot.submission.used
        listing.submissionCapacity = snapshot.submission.capacity
        listing.completionUsed = snapshot.completion.used
        listing.completionCapacity = snapshot.completion.capacity
        listing.status = status(snapshot, findings)
        return listing
    }

    static func status(_ snapshot: Snapshot, _ findings: [Finding]) -> RingListing.Status {
        let sides = [snapshot.requester, snapshot.responder].compactMap { $0 }
        let everAttached = sides.contains { $0.state != .never }
        if everAttached && sides.allSatisfy({ $0.liveness != .alive }) { return .stale }
        if findings.contains(where: { $0.rule == .peerDead }) { return .dead }
        if !findings.isEmpty { return .stuck }
        return .ok
    }

    /// Size and owner of /dev/shm/NAME, from stat(2) (nil if it vanished meanwhile).
    static func objectInfo(_ raw: String) -> (size: UInt64, owner: String)? {
        let path = SystemCalls.shmDirectory + "/" + (raw.hasPrefix("/") ? String(raw.dropFirst()) : raw)
        guard let status = SystemCalls.status(ofPath: path) else { return nil }
        return (status.size, SystemCalls.passwdName(status.ownerUID) ?? String(status.ownerUID))
    }
}
