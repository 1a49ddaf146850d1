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
            arrows/PgUp/PgDn scroll, h/? help, r reset peaks.
            """
    )

    @Argument(help: "Ring name (as in /dev/shm; the leading '/' is optional), or io_uring:PID[:FD].") var name: String
    @OptionGroup var options: DashboardOptions

    func run() throws {
        if RingSources.isIOUring(name) {  // a kernel io_uring (issue 7): read-only through /proc
            let source = try IOUringSource(target: IOUringTarget(parsing: name))
            let thresholds = Thresholds(stallTimeout: options.stallTimeout)
            let feed = LiveRingFeed(displayName: source.displayName, source: source) { snapshot, history in
                RingSources.diagnose(snapshot, history: history, thresholds: thresholds)
            }
            let exit = try DashboardLoop.run(source: feed, state: options.initialState)
            if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
            return
        }
        let ringName = try RingName(name)
        let reader = try Self.attachOrWait(ringName)
        let exit = try Self.runDashboard(ringName, reader: reader, options: options)
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }

    /// Attaches now; nil when the ring exists but is not ready (the dashboard waits for it).
    static func attachOrWait(_ name: RingName) throws -> SnapshotReader? {
        do throws(RingError) {
            return try SnapshotReader(attaching: name)
        } catch .notReady {
            return nil
        } catch .notFound {
            // Same wording as the inspector's commands, with the rings that do exist.
            throw AttachError(message: InspectAttach.message(for: RingError.notFound(name.path)))
        }
    }

    static func runDashboard(_ name: RingName, reader: SnapshotReader?, expectedCreator: Int32? = nil,
                             options: DashboardOptions) throws -> DashboardLoop.Exit {
        let thresholds = Thresholds(stallTimeout: options.stallTimeout)
        let feed = LiveRingFeed(name: name, reader: reader, expectedCreator: expectedCreator) { snapshot, history in
            RingSources.diagnose(snapshot, history: history, thresholds: thresholds)
        }
        return try DashboardLoop.run(source: feed, state: options.initialState)
    }
}

/// An attach failure whose message is written for the user.
struct AttachError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
