import Evering
import EveringDashboard
import EveringIOUring
import EveringInspect
import EveringTerminal

/// The dashboard's feed for `attach io_uring:PID[:FD]`: reads the ring's fdinfo each
/// sample, feeds the sampler and the io_uring rules, and turns "gone" (process exited or
/// ring closed) into a kept last frame. The panels are the common ones; the slot panels
/// show their "no slot table" state since an io_uring has none.
final class IOUringDashboardFeed: DashboardSource {
    private let source: IOUringSource
    private let thresholds: Thresholds
    private var sampler = Sampler(historyCapacity: 300)
    private var alerts = AlertLog()
    private var latest: Snapshot?
    private var connection: DashboardInput.Connection = .live

    init(source: IOUringSource, stallTimeout: Double) {
        self.source = source
        self.thresholds = Thresholds(stallTimeout: stallTimeout)
    }

    var input: DashboardInput {
        DashboardInput(name: source.displayName, connection: connection, snapshot: latest, history: sampler.history,
                       peaks: sampler.peaks, alerts: alerts.ordered)
    }

    func sample() {
        if case .gone = connection { return }  // keep the last frame of a vanished ring
        guard let snapshot = try? source.snapshot() else { return }  // IOUringSource reports loss in the snapshot
        sampler.record(snapshot)
        alerts.update(IOUringDiagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds),
                      at: snapshot.takenAtMonotonicNanoseconds)
        latest = snapshot
        if let gone = snapshot.details?[IOUringSnapshot.Detail.gone] {
            connection = .gone(reason: gone == "ring-closed"
                ? "process \(source.instance.pid) closed the io_uring"
                : "process \(source.instance.pid) (\(source.instance.command)) exited")
        }
    }

    func resetPeaks() { sampler.resetPeaks() }

    func scrollLimits(state: DashboardState, width: Int, height: Int) -> [DashboardPanel: Int] {
        DashboardRenderer.scrollLimits(input, state: state, width: width, height: height)
    }

    func render(state: DashboardState, width: Int, height: Int) -> ScreenGrid {
        DashboardRenderer.render(input, state: state, width: width, height: height, now: Clock.monotonicNanoseconds)
    }
}
