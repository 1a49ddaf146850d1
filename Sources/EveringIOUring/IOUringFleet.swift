import Evering
import EveringInspect

/// Every kernel io_uring of the visible processes, sampled together for the overview
/// (`evering-top --io-uring`): like `FleetSampler` for evering rings, it keeps a source and
/// a history per ring between samples (a stall needs history) and rediscovers /proc each
/// time, so rings that appear or close come and go. Read-only, as `attach io_uring:PID`.
public final class IOUringFleet {
    /// One io_uring's latest state.
    public struct RingState: Sendable {
        /// `io_uring:PID:FD`, the name `attach` takes.
        public var name: String
        public var snapshot: Snapshot
        public var rates: Rates?
        public var findings: [Finding]
        public var status: RingStatus
        /// The owning process's command name.
        public var command: String
    }

    public struct Reading: Sendable {
        public var rings: [RingState]
        /// Processes whose fd table this user may not read.
        public var deniedProcesses: Int
    }

    private struct Tracked {
        var source: IOUringSource
        var sampler: Sampler
    }

    public let thresholds: Thresholds
    private let historyCapacity: Int
    private let procRoot: String
    private var tracked: [String: Tracked] = [:]

    public init(thresholds: Thresholds = .default, historyCapacity: Int = 64, procRoot: String = "/proc") {
        self.thresholds = thresholds
        self.historyCapacity = historyCapacity
        self.procRoot = procRoot
    }

    public func sample() -> Reading {
        let scan = IOUringDiscovery.scanAll(procRoot: procRoot)
        var rings: [RingState] = []
        var seen = Set<String>()
        for instance in scan.instances {
            let name = instance.target.description
            seen.insert(name)
            guard var entry = tracked[name] ?? open(instance) else { continue }
            guard let snapshot = try? entry.source.snapshot() else {
                tracked[name] = nil
                continue
            }
            let sample = entry.sampler.record(snapshot)
            let findings = RingSources.diagnose(snapshot, history: entry.sampler.history, thresholds: thresholds)
            let report = InspectReport(snapshot: snapshot, rates: sample.rates, findings: findings, thresholds: thresholds)
            tracked[name] = entry
            rings.append(RingState(name: name, snapshot: snapshot, rates: sample.rates, findings: findings,
                                   status: report.status, command: instance.command))
        }
        // A ring no longer listed has closed (or its process exited): dropped, as FleetSampler
        // drops an unlinked ring.
        for name in tracked.keys where !seen.contains(name) { tracked[name] = nil }
        return Reading(rings: rings, deniedProcesses: scan.deniedPIDs.count)
    }

    private func open(_ instance: IOUringInstance) -> Tracked? {
        guard let source = try? IOUringSource(target: instance.target, procRoot: procRoot) else { return nil }
        return Tracked(source: source, sampler: Sampler(historyCapacity: historyCapacity))
    }
}
