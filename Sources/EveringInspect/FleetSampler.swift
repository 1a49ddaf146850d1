import Evering

/// Samples every evering ring on the machine at once, for the overview screen and the
/// metrics exporter. Unlike `list`, it keeps each ring's read-only mapping and its history
/// between samples: reopening a thousand rings every second would cost more than reading
/// them, and a status needs history (a stall is a head that did not move).
///
///     let fleet = FleetSampler()
///     let reading = fleet.sample()          // call once per interval
///     for ring in reading.rings { print(ring.name, ring.status) }
public final class FleetSampler {
    /// One ring's latest state.
    public struct RingState: Sendable {
        public var name: String
        public var snapshot: Snapshot
        public var rates: Rates?
        public var findings: [Finding]
        public var incidents: [Incident]
        /// The same word `list`, `dump`, `check` and the dashboard show (`RingStatus.of`).
        public var status: RingStatus
        /// The user owning the shm object (read once, when the ring is opened).
        public var owner: String?
    }

    /// Objects in /dev/shm by what could be done with them.
    public struct Census: Equatable, Sendable {
        public var readable = 0
        public var notReady = 0
        /// Rings of other users this process may not open.
        public var denied = 0
        /// Objects with the evering magic that cannot be read safely (bad layout, truncated...).
        public var unreadable = 0
    }

    public struct Reading: Sendable {
        public var rings: [RingState]
        public var census: Census
        /// Failed reads per ring name since the sampler started (a ring that vanished mid-read,
        /// shrank, or stopped validating); counters, so they only grow.
        public var readErrors: [String: UInt64]
        /// CLOCK_MONOTONIC ns when this sample started, and how long it took.
        public var takenAtMonotonicNanoseconds: UInt64
        public var durationNanoseconds: UInt64
    }

    private struct Tracked {
        var reader: SnapshotReader
        var sampler: Sampler
        var owner: String?
    }

    public let thresholds: Thresholds
    private let historyCapacity: Int
    private var tracked: [String: Tracked] = [:]
    private var readErrors: [String: UInt64] = [:]
    /// One kill + /proc/PID/stat per process per sample, however many rings it has.
    private let livenessCache = LivenessCache()

    /// - Parameter historyCapacity: samples kept per ring; enough to cover the stall timeout
    ///   at the caller's interval (the rules look back that far).
    public init(thresholds: Thresholds = .default, historyCapacity: Int = 64) {
        self.thresholds = thresholds
        self.historyCapacity = historyCapacity
    }

    /// Rings currently held open (their descriptors count against RLIMIT_NOFILE).
    public var openRingCount: Int { tracked.count }

    /// Samples every object in `names` (default: all of /dev/shm). Rings that disappeared
    /// are dropped; new ones are opened; a failed read counts an error and drops the
    /// mapping (the next sample reopens it if it is readable again).
    public func sample(names: [String] = sharedMemoryObjectNames()) -> Reading {
        let started = Clock.monotonicNanoseconds
        var census = Census()
        var rings: [RingState] = []
        rings.reserveCapacity(names.count)
        var seen = Set<String>()
        livenessCache.removeAll()  // answers are good for this sample only
        for raw in names {
            let display = raw.hasPrefix("/") ? raw : "/" + raw
            seen.insert(display)
            let known = tracked[display]
            guard var entry = known ?? open(raw, display: display, census: &census) else { continue }
            var snapshot: Snapshot
            do {
                snapshot = try entry.reader.snapshot()
                // The snapshot checked the name (one stat): replaced under the same name, so
                // start over with the new object and its own history.
                if known != nil && !snapshot.isStillLinked {
                    tracked[display] = nil
                    guard let fresh = open(raw, display: display, census: &census) else { continue }
                    entry = fresh
                    snapshot = try entry.reader.snapshot()
                }
            } catch {
                readErrors[display, default: 0] += 1
                tracked[display] = nil
                census.unreadable += 1
                continue
            }
            let sample = entry.sampler.record(snapshot)
            let findings = Diagnosis.diagnose(snapshot, history: entry.sampler.history, thresholds: thresholds)
            let report = InspectReport(snapshot: snapshot, rates: sample.rates, findings: findings, thresholds: thresholds)
            tracked[display] = entry
            census.readable += 1
            rings.append(RingState(name: display, snapshot: snapshot, rates: sample.rates, findings: findings,
                                   incidents: report.incidents, status: report.status, owner: entry.owner))
        }
        for name in tracked.keys where !seen.contains(name) { tracked[name] = nil }
        return Reading(rings: rings, census: census, readErrors: readErrors,
                       takenAtMonotonicNanoseconds: started,
                       durationNanoseconds: Clock.monotonicNanoseconds &- started)
    }

    private func open(_ raw: String, display: String, census: inout Census) -> Tracked? {
        guard let name = try? RingName(raw) else { return nil }
        do throws(RingError) {
            let reader = try SnapshotReader(attaching: name, pendingLimit: 4)
            reader.livenessCache = livenessCache
            return Tracked(reader: reader, sampler: Sampler(historyCapacity: historyCapacity),
                           owner: RingDirectory.objectInfo(raw)?.owner)
        } catch {
            switch error {
            case .notReady: census.notReady += 1
            case .permissionDenied: census.denied += 1
            case .notEvering, .notFound: break  // another program's object, or gone since the listing
            default:
                census.unreadable += 1
                readErrors[display, default: 0] += 1
            }
            return nil
        }
    }
}
