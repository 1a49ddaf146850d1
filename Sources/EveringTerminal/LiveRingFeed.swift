import Evering
import EveringDashboard
import EveringInspect

/// The dashboard's view of one ring over time, whatever the source (an evering ring in
/// /dev/shm, a kernel io_uring read from /proc): connects (or keeps waiting until the ring is
/// ready), reads a snapshot per sample, feeds the sampler and the source's rules, folds the
/// incidents into the alert log, and notices the ring going away (status GONE, or a read
/// that fails) — after which it keeps the last frame instead of reading on.
///
/// Only reads the ring, through the source's read-only access.
public final class LiveRingFeed: DashboardSource {
    public typealias Diagnose = @Sendable (_ snapshot: Snapshot, _ history: [Sample]) -> [Finding]
    /// What only this kind of source knows, for the header's second row (io_uring: setup
    /// flags, SQPOLL thread, registrations, overflow); sources with sides give none.
    public typealias Facts = @Sendable (_ snapshot: Snapshot) -> [DashboardInput.Fact]

    /// One attempt to reach a ring that is not readable yet.
    public enum Connection {
        case attached(any RingSource)
        case waiting(reason: String)
    }

    /// The name shown before the first snapshot.
    public let displayName: String
    private var source: (any RingSource)?
    private let connect: (() -> Connection)?
    private var sampler: Sampler
    private var alerts = AlertLog()
    private var latest: Snapshot?
    private var status: RingStatus?
    private var connection: DashboardInput.Connection
    private let diagnose: Diagnose
    private let facts: Facts

    /// - Parameters:
    ///   - source: a connected source, or nil to call `connect` on every sample until it attaches.
    ///   - diagnose: the source's rules, given the new snapshot and the history including it.
    ///   - facts: the source's own header facts.
    public init(displayName: String, source: (any RingSource)?, connect: (() -> Connection)? = nil,
                historyCapacity: Int = 300, diagnose: @escaping Diagnose, facts: @escaping Facts = { _ in [] }) {
        self.displayName = displayName
        self.source = source
        self.connect = connect
        self.diagnose = diagnose
        self.facts = facts
        sampler = Sampler(historyCapacity: historyCapacity)
        connection = source == nil ? .waiting(reason: "the ring is not ready yet") : .live
    }

    /// An evering ring by name.
    /// - Parameters:
    ///   - reader: an attached reader, or nil to wait for the ring to become ready.
    ///   - expectedCreator: while waiting, accept only a ring this pid created (`demo`
    ///     waits for its own load's ring, not an older object of the same name).
    public convenience init(name: RingName, reader: SnapshotReader?, expectedCreator: Int32? = nil,
                            historyCapacity: Int = 300, diagnose: @escaping Diagnose) {
        self.init(displayName: name.path, source: reader, connect: { Self.attach(name, expectedCreator: expectedCreator) },
                  historyCapacity: historyCapacity, diagnose: diagnose)
    }

    public var input: DashboardInput {
        DashboardInput(name: displayName, connection: connection, snapshot: latest, history: sampler.history,
                       peaks: sampler.peaks, alerts: alerts.ordered, status: status,
                       sourceFacts: latest.map(facts) ?? [])
    }

    public func sample() {
        if case .gone = connection { return }  // keep the last frame; never read a dead object
        guard let source = source ?? attach() else { return }
        let snapshot: Snapshot
        do {
            snapshot = try source.snapshot()
        } catch {
            connection = .gone(reason: "\(error)")
            status = .gone
            return
        }
        sampler.record(snapshot)
        // The same grouping and status word as every command (the source's thresholds are
        // already in `diagnose`).
        let incidents = Incident.group(diagnose(snapshot, sampler.history))
        let word = RingStatus.of(snapshot, incidents: incidents)
        alerts.update(incidents: incidents, at: snapshot.takenAtMonotonicNanoseconds)
        latest = snapshot
        status = word
        if word == .gone {
            let reason = snapshot.isStillLinked
                ? incidents.first { $0.rootCause.rule == .ringGone }?.rootCause.message ?? "\(displayName) is gone"
                : "\(displayName) was unlinked or replaced"
            connection = .gone(reason: reason)
        } else {
            connection = .live
        }
    }

    /// One connect attempt while waiting; nil (still waiting, with the reason) on failure.
    private func attach() -> (any RingSource)? {
        guard let connect else { return nil }
        switch connect() {
        case let .attached(source):
            self.source = source
            connection = .live
            return source
        case let .waiting(reason):
            connection = .waiting(reason: reason)
            return nil
        }
    }

    /// Attaches read-only to an evering ring, or says why it is not readable yet.
    static func attach(_ name: RingName, expectedCreator: Int32?) -> Connection {
        do {
            let attached = try SnapshotReader(attaching: name)
            if let expectedCreator, attached.observer.header.creatorPID != expectedCreator {
                return .waiting(reason: "\(name.path) is an older ring; waiting for pid \(expectedCreator) to replace it")
            }
            return .attached(attached)
        } catch .notFound {
            return .waiting(reason: "no object named \(name.path) in /dev/shm")
        } catch .notReady {
            return .waiting(reason: "its creator has not finished setting it up")
        } catch {
            return .waiting(reason: error.description)
        }
    }

    public func resetPeaks() { sampler.resetPeaks() }

    public func scrollLimits(state: DashboardState, width: Int, height: Int) -> [DashboardPanel: Int] {
        DashboardRenderer.scrollLimits(input, state: state, width: width, height: height)
    }

    public func render(state: DashboardState, width: Int, height: Int) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: Clock.monotonicNanoseconds)
    }
}
