import ArgumentParser
import Evering
import EveringDashboard
import EveringInspect
import EveringIOUring
import EveringTerminal

/// `evering-top attach NAME`: the live dashboard. Attaches read-only; a missing ring
/// fails before the terminal is touched, naming the rings that exist.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Live dashboard of a ring (read-only), like htop.",
        discussion: """
            Keys: q quit, space/p pause, +/- refresh interval, s cycle sort, Tab focus, \
            arrows/PgUp/PgDn/Home/End scroll, h/? help (explains every figure; any key closes it), \
            r reset peaks. Needs a terminal with cursor addressing (exit 2 otherwise: use watch --batch).
            """
    )

    @Argument(help: "Ring name (as in /dev/shm: NAME, /NAME or /dev/shm/NAME), or io_uring:PID[:FD].") var name: String
    @Flag(help: "Wait for a ring that does not exist yet (\"waiting for ring NAME\" until it appears; q quits).")
    var wait = false
    @OptionGroup var options: DashboardOptions

    func validate() throws {
        if wait && RingSources.isIOUring(name) {
            throw ValidationError("--wait waits for an evering ring to be created; an io_uring target must already exist")
        }
    }

    /// The ring is looked up first (a typo is reported as such, with the rings that exist),
    /// then the terminal is checked, before ncurses touches it.
    func run() throws {
        if RingSources.isIOUring(name) {  // a kernel io_uring (issue 7): read-only through /proc
            let source: IOUringSource
            do { source = try IOUringSource(target: IOUringTarget(parsing: name)) } catch { throw CommandFailure.cannotAttach("\(error)") }
            try options.requireTerminal()
            let feed = Self.ioUringFeed(source, thresholds: Thresholds(stallTimeout: options.stallTimeout))
            let exit = try DashboardLoop.run(source: feed, state: options.initialState)
            if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
            return
        }
        let ringName: RingName
        do { ringName = try RingName(name) } catch { throw CommandFailure.cannotAttach(error) }
        let reader = try Self.attachOrWait(ringName, waitIfMissing: wait)
        try options.requireTerminal()
        let exit = try Self.runDashboard(ringName, reader: reader, options: options)
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }

    /// Attaches now; nil when the ring exists but is not ready, or with `waitIfMissing` does
    /// not exist yet (the dashboard waits for it either way).
    static func attachOrWait(_ name: RingName, waitIfMissing: Bool = false) throws -> SnapshotReader? {
        do throws(RingError) {
            return try SnapshotReader(attaching: name)
        } catch .notReady {
            return nil
        } catch .notFound where waitIfMissing {
            return nil
        } catch {
            // Same wording as the inspector's commands (with the rings that do exist).
            throw CommandFailure.cannotAttach(error)
        }
    }

    static func runDashboard(_ name: RingName, reader: SnapshotReader?, expectedCreator: Int32? = nil,
                             options: DashboardOptions) throws -> DashboardLoop.Exit {
        let feed = everingFeed(name, reader: reader, expectedCreator: expectedCreator,
                               thresholds: Thresholds(stallTimeout: options.stallTimeout))
        return try DashboardLoop.run(source: feed, state: options.initialState)
    }

    /// The dashboard's feed of an evering ring (also what the overview drills into).
    static func everingFeed(_ name: RingName, reader: SnapshotReader?, expectedCreator: Int32? = nil,
                            thresholds: Thresholds) -> LiveRingFeed {
        LiveRingFeed(name: name, reader: reader, expectedCreator: expectedCreator) { snapshot, history in
            RingSources.diagnose(snapshot, history: history, thresholds: thresholds)
        }
    }

    /// The dashboard's feed of a kernel io_uring, with its header facts.
    static func ioUringFeed(_ source: IOUringSource, thresholds: Thresholds) -> LiveRingFeed {
        LiveRingFeed(displayName: source.displayName, source: source, diagnose: { snapshot, history in
            RingSources.diagnose(snapshot, history: history, thresholds: thresholds)
        }, facts: { snapshot in
            IOUringSummary.segments(snapshot).map { DashboardInput.Fact($0.text, needsAttention: $0.needsAttention) }
        })
    }
}

