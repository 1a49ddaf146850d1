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

    /// What `list` prints in its status column: the ring's `RingStatus` word for a readable
    /// ring (the same word every command shows), or why the object is not one.
    public enum Status: String, Codable, Sendable {
        case ok = "OK"
        case degraded = "DEGRADED"
        case stuck = "STUCK"
        case dead = "DEAD"
        case stale = "STALE"
        case gone = "GONE"
        case notReady = "NOT READY"
        case notEvering = "not evering"
        case unreadable = "UNREADABLE"
        case permissionDenied = "NO ACCESS"

        public init(_ status: RingStatus) {
            switch status {
            case .ok: self = .ok
            case .degraded: self = .degraded
            case .stuck: self = .stuck
            case .dead: self = .dead
            case .stale: self = .stale
            case .gone: self = .gone
            case .notReady: self = .notReady
            }
        }
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
    public var incidents: [Incident]?

    public init(name: String, kind: Kind, status: Status) {
        self.name = name
        self.kind = kind
        self.status = status
    }
}

/// Scans /dev/shm for rings.
public enum RingDirectory {
    /// Every object in /dev/shm, identified. Evering rings are read twice,
    /// `InspectReport.oneShotSecondSampleSeconds` apart (one wait for all of them), and
    /// diagnosed with that history, so a stall is judged on evidence, not guessed.
    public static func scan(names: [String] = sharedMemoryObjectNames(), thresholds: Thresholds = .default,
                            secondSampleAfter interval: Double = InspectReport.oneShotSecondSampleSeconds) -> [RingListing] {
        var entries = names.map { begin($0) }
        if interval > 0, entries.contains(where: { $0.reader != nil }) {
            usleep(useconds_t(min(interval, 10) * 1e6))
        }
        for i in entries.indices { finish(&entries[i], thresholds: thresholds) }
        return entries.map(\.listing)
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

    /// One object's listing, from two reads `secondSampleAfter` seconds apart.
    public static func listing(for raw: String, thresholds: Thresholds = .default,
                               secondSampleAfter interval: Double = InspectReport.oneShotSecondSampleSeconds) -> RingListing {
        scan(names: [raw], thresholds: thresholds, secondSampleAfter: interval)[0]
    }

    /// A listing being built: the attached reader and the first sample, if any.
    struct Pending {
        var listing: RingListing
        var reader: SnapshotReader?
        var sampler = Sampler(historyCapacity: 4)
    }

    static func begin(_ raw: String) -> Pending {
        let display = raw.hasPrefix("/") ? raw : "/" + raw
        var listing = RingListing(name: display, kind: .notEvering, status: .notEvering)
        let info = objectInfo(raw)
        listing.sizeBytes = info?.size
        listing.owner = info?.owner
        let name: RingName
        do throws(RingError) { name = try RingName(raw) } catch {
            listing.reason = error.description
            return Pending(listing: listing)
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
            return Pending(listing: listing)
        }
        listing.kind = .evering
        var pending = Pending(listing: listing, reader: reader)
        if let first = try? reader.snapshot() { pending.sampler.record(first) }
        return pending
    }

    static func finish(_ pending: inout Pending, thresholds: Thresholds) {
        guard let reader = pending.reader else { return }
        guard let snapshot = try? reader.snapshot() else {
            pending.listing.status = .unreadable
            pending.listing.reason = RingError.truncatedWhileInspected(pending.listing.name).description
            return
        }
        pending.sampler.record(snapshot)
        let report = InspectReport(snapshot: snapshot,
                                   findings: Diagnosis.diagnose(snapshot, history: pending.sampler.history, thresholds: thresholds),
                                   thresholds: thresholds)
        var listing = pending.listing
        listing.findings = report.findings
        listing.incidents = report.incidents
        listing.requesterPID = snapshot.requester?.pid
        listing.requesterLiveness = snapshot.requester?.liveness
        listing.responderPID = snapshot.responder?.pid
        listing.responderLiveness = snapshot.responder?.liveness
        listing.submissionUsed = snapshot.submission.used
        listing.submissionCapacity = snapshot.submission.capacity
        listing.completionUsed = snapshot.completion.used
        listing.completionCapacity = snapshot.completion.capacity
        listing.status = RingListing.Status(report.status)
        pending.listing = listing
    }

    /// Size and owner of /dev/shm/NAME, from stat(2) (nil if it vanished meanwhile).
    static func objectInfo(_ raw: String) -> (size: UInt64, owner: String)? {
        let path = SystemCalls.shmDirectory + "/" + (raw.hasPrefix("/") ? String(raw.dropFirst()) : raw)
        guard let status = SystemCalls.status(ofPath: path) else { return nil }
        return (status.size, SystemCalls.passwdName(status.ownerUID) ?? String(status.ownerUID))
    }
}
