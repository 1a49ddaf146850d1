import Evering
import EveringDashboard
import EveringInspect

/// The dashboard's view of one ring over time: attaches (or keeps waiting until the ring
/// is ready), reads a snapshot per sample, feeds the sampler and diagnosis, and notices
/// the ring going away — after which it keeps the last frame instead of reading on.
///
/// Only reads the ring, through `SnapshotReader`'s read-only observer.
public final class LiveRingFeed: DashboardSource {
    public typealias Diagnose = @Sendable (_ snapshot: Snapshot, _ history: [Sample]) -> [Finding]

    public let name: RingName
    private var reader: SnapshotReader?
    private var sampler: Sampler
    private var alerts = AlertLog()
    private var latest: Snapshot?
    private var connection: DashboardInput.Connection
    private let diagnose: Diagnose
    private let expectedCreator: Int32?

    /// - Parameters:
    ///   - reader: an attached reader, or nil to wait for the ring to become ready.
    ///   - expectedCreator: while waiting, accept only a ring this pid created (`demo`
    ///     waits for its own load's ring, not an older object of the same name).
    ///   - diagnose: the diagnosis rules, given the new snapshot and the history including it.
    public init(name: RingName, reader: SnapshotReader?, expectedCreator: Int32? = nil, historyCapacity: Int = 300,
                diagnose: @escaping Diagnose) {
        self.name = name
        self.reader = reader
        self.expectedCreator = expectedCreator
        self.diagnose = diagnose
        sampler = Sampler(historyCapacity: historyCapacity)
        connection = reader == nil ? .waiting(reason: "the ring is not ready yet") : .live
    }

    public var input: DashboardInput {
        DashboardInput(name: name.path, connection: connection, snapshot: latest, history: sampler.history,
                       peaks: sampler.peaks, alerts: alerts.ordered)
    }

    public func sample() {
        if case .gone = connection { return }  // keep the last frame; never read a dead object
        guard let reader = reader ?? attach() else { return }
        let snapshot: Snapshot
        do {
            snapshot = try reader.snapshot()
        } catch {
            connection = .gone(reason: "\(error)")
            return
        }
        sampler.record(snapshot)
        alerts.update(diagnose(snapshot, sampler.history), at: snapshot.takenAtMonotonicNanoseconds)
        latest = snapshot
        connection = snapshot.isStillLinked ? .live : .gone(reason: "\(name.path) was unlinked or replaced")
    }

    /// One attach attempt while waiting; nil (still waiting, with the reason) on failure.
    private func attach() -> SnapshotReader? {
        do {
            let attached = try SnapshotReader(attaching: name)
            if let expectedCreator, attached.observer.header.creatorPID != expectedCreator {
                connection = .waiting(reason: "\(name.path) is an older ring; waiting for pid \(expectedCreator) to replace it")
                return nil
            }
            reader = attached
            connection = .live
            return attached
        } catch .notFound {
            connection = .waiting(reason: "no object named \(name.path) in /dev/shm")
        } catch .notReady {
            connection = .waiting(reason: "its creator has not finished setting it up")
        } catch {
            connection = .waiting(reason: error.description)
        }
        return nil
    }

    public func resetPeaks() { sampler.resetPeaks() }

    public func scrollLimits(state: DashboardState, width: Int, height: Int) -> [DashboardPanel: Int] {
        DashboardRenderer.scrollLimits(input, state: state, width: width, height: height)
    }

    public func render(state: DashboardState, width: Int, height: Int) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: Clock.monotonicNanoseconds)
    }
}
