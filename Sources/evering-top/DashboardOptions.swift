import ArgumentParser
import EveringDashboard
import EveringTerminal

/// Flags shared by `attach` and `demo`.
struct DashboardOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("delay")], help: "Seconds between samples (0.05 to 60).")
    var delay: Double = 1

    @Option(help: "Seconds a queue may sit stuck before it is reported as stalled.")
    var stallTimeout: Double = 1

    @Flag(help: "No colours (also when the NO_COLOR environment variable is set).")
    var noColor = false

    @Flag(help: "ASCII only: no block or box-drawing characters.")
    var ascii = false

    func validate() throws {
        guard delay.isFinite, delay >= DashboardState.minimumInterval, delay <= DashboardState.maximumInterval else {
            throw ValidationError("--delay must be between \(DashboardState.minimumInterval) and \(DashboardState.maximumInterval) seconds, got \(delay)")
        }
        guard stallTimeout.isFinite, stallTimeout > 0 else {
            throw ValidationError("--stall-timeout must be a positive number of seconds, got \(stallTimeout)")
        }
    }

    /// NO_COLOR (https://no-color.org): any non-empty value turns colour off.
    var useColor: Bool {
        if noColor { return false }
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        return true
    }

    /// Fails (`evering-top: ...` on stderr, exit 2) unless the dashboard can run on this
    /// terminal. Called first, so nothing is attached or started for a screen that cannot
    /// be drawn.
    func requireTerminal() throws {
        do { try TerminalUnavailable.check() } catch {
            InspectAttach.printError("evering-top: \(error)")
            throw ExitCode(TerminalUnavailable.exitStatus)
        }
    }

    var initialState: DashboardState {
        DashboardState(interval: delay, ascii: ascii, color: useColor, stallTimeout: stallTimeout)
    }
}

#if canImport(Glibc)
import Glibc
#endif
