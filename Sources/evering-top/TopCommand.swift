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
            choose the sort column (or click a header), I inverts, / filters by name (Enter keeps, Esc \
            removes), space pauses, +/- refresh interval, h/? help, q quits. Read-only, like attach. \
            Needs a terminal with cursor addressing (exit 2 otherwise: use list).
            """
    )

    @Flag(name: .customLong("io-uring"),
          help: "Also list the kernel io_urings of visible processes (as io_uring:PID:FD; the owner column shows the command).")
    var ioUring = false

    @OptionGroup var options: DashboardOptions

    func run() throws {
        try options.requireTerminal(alternative: "use `evering-top list` (one line per ring) or `evering-top export --textfile DIR`")
        FileLimits.raiseOpenFileLimit()  // one descriptor per ring stays open between samples
        let thresholds = Thresholds(stallTimeout: options.stallTimeout)
        // History enough for the rules to look back over the stall timeout at the fastest refresh.
        let fleet = FleetSampler(thresholds: thresholds, historyCapacity: 64)
        let uringFleet = ioUring ? IOUringFleet(thresholds: thresholds, historyCapacity: 64) : nil
        let dashboardState = options.initialState
        let state = OverviewState(interval: options.delay.seconds, ascii: options.ascii, color: options.useColor)
        let overview = OverviewView(state: state, read: {
            var input = OverviewInput(fleet.sample())
            if let uringFleet {
                let reading = uringFleet.sample()
                input.rows += reading.rings.map {
                    OverviewRow(name: $0.name, snapshot: $0.snapshot, rates: $0.rates, findingCount: $0.findings.count,
                                status: $0.status, owner: $0.command)
                }
                input.denied += reading.deniedProcesses
            }
            return input
        }, open: { name, interval in
            var ringState = dashboardState
            ringState.interval = interval
            ringState.canGoBack = true
            return Self.feed(for: name, thresholds: thresholds).map { DashboardView(source: $0, state: ringState) }
        })
        let exit = try TerminalLoop.run(overview, color: options.useColor)
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }

    /// The dashboard feed of a ring picked in the overview: an io_uring by its target, an
    /// evering ring by name (waiting if it is not readable at this instant; its dashboard
    /// says why). nil when the io_uring has gone since the last sample.
    static func feed(for name: String, thresholds: Thresholds) -> LiveRingFeed? {
        if RingSources.isIOUring(name) {
            guard let target = try? IOUringTarget(parsing: name), let source = try? IOUringSource(target: target) else { return nil }
            return AttachCommand.ioUringFeed(source, thresholds: thresholds)
        }
        guard let ringName = try? RingName(name) else { return nil }
        return AttachCommand.everingFeed(ringName, reader: try? SnapshotReader(attaching: ringName), thresholds: thresholds)
    }
}
