import ArgumentParser
import Evering
import EveringDashboard
import EveringInspect
import EveringIOUring
import EveringTerminal

/// `evering-top` (no subcommand) and `evering-top top`: the live overview of every ring on
/// the machine, htop-style; Enter opens a ring's dashboard and Esc comes back.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Live overview of every evering ring in /dev/shm (the default command).",
        discussion: """
            One row per ring: name, status, requester and responder pid and liveness, SQ and CQ fill, \
            ops/s, oldest op in flight, active alerts, owner. Keys: arrows/PgUp/PgDn/Home/End or a click \
            move the cursor, Enter opens the ring's dashboard (Esc or Backspace comes back), < > or F6 \
            choose the sort column (or click a header), I inverts, / filters by name (Esc cancels), \
            space pauses, +/- refresh interval, h/? help, q quits. Read-only, like attach. Needs a \
            terminal with cursor addressing (exit 2 otherwise: use list).
            """
    )

    @OptionGroup var options: DashboardOptions

    func run() throws {
        try options.requireTerminal(alternative: "use `evering-top list` (one line per ring) or `evering-top export --textfile DIR`")
        FileLimits.raiseOpenFileLimit()  // one descriptor per ring stays open between samples
        let thresholds = Thresholds(stallTimeout: options.stallTimeout)
        // History enough for the rules to look back over the stall timeout at the fastest refresh.
        let fleet = FleetSampler(thresholds: thresholds, historyCapacity: 64)
        let dashboardState = options.initialState
        let state = OverviewState(interval: options.delay.seconds, ascii: options.ascii, color: options.useColor)
        let overview = OverviewView(fleet: fleet, state: state) { name, interval in
            guard let ringName = try? RingName(name) else { return nil }
            let reader = try? SnapshotReader(attaching: ringName)
            let feed = LiveRingFeed(name: ringName, reader: reader) { snapshot, history in
                RingSources.diagnose(snapshot, history: history, thresholds: thresholds)
            }
            var ringState = dashboardState
            ringState.interval = interval
            ringState.canGoBack = true
            return DashboardView(source: feed, state: ringState)
        }
        let exit = try TerminalLoop.run(overview, color: options.useColor)
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }
}
