import Evering
import EveringDashboard
import EveringIOUring
import EveringInspect
import EveringTerminal

/// The dashboard's feed for `attach io_uring:PID[:FD]`: reads the ring's fdinfo each
/// sample, feeds the sampler and the io_uring rules, and turns "gone" (process exited or
/// ring closed) into a kept last frame. The panels are the common ones; the header's second
/// row carries the io_uring facts (`IOUringSummary`) and, with no slot table, the middle row
/// lists the pending entries.
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
                       peaks: sampler.peaks, alerts: alerts.ordered, sourceFacts: facts)
    }

    /// The io_uring facts for the header's second row.
    private var facts: [DashboardInput.Fact] {
        guard let latest else { return [] }
        return IOUringSummary.segments(latest).map { DashboardInput.Fact($0.text, needsAttention: $0.needsAttention) }
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
