import ArgumentParser
import EveringDashboard
import EveringTerminal

/// Flags shared by `attach` and `demo`.
struct DashboardOptions: ParsableArguments {
    /// The same range `+`/`-` step through in the dashboard.
    static let delayRange: ClosedRange<Duration> =
        .milliseconds(Int64((DashboardState.minimumInterval * 1000).rounded())) ... .seconds(Int64(DashboardState.maximumInterval))

    @Option(name: [.customShort("d"), .customLong("delay")],
            help: "Time between samples (default 1s; 50ms to 60s, the range of the +/- keys; a bare number is seconds).",
            transform: FlagValue.duration(delayRange))
    var delay: Duration = .seconds(1)

    @OptionGroup var diagnosis: DiagnosisOptions

    @Flag(help: "No colours (also when the NO_COLOR environment variable is set).")
    var noColor = false

    @Flag(help: "ASCII only: no block or box-drawing characters.")
    var ascii = false

    var stallTimeout: Double { diagnosis.stallTimeout.seconds }

    /// NO_COLOR (https://no-color.org): any non-empty value turns colour off.
    var useColor: Bool {
        if noColor { return false }
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        return true
    }

    /// Fails (`evering-top: ...` on stderr, exit 2) unless the dashboard can run on this
    /// terminal. Called first, so nothing is attached or started for a screen that cannot
    /// be drawn.
    /// - Parameter alternative: what to use instead, when not the default (`watch`/`dump`).
    func requireTerminal(alternative: String? = nil) throws {
        do { try TerminalUnavailable.check() } catch {
            // exit 2: the environment, not the command line
            throw CommandFailure.cannotAttach(alternative.map { error.message(alternative: $0) } ?? "\(error)")
        }
    }

    var initialState: DashboardState {
        DashboardState(interval: delay.seconds, ascii: ascii, color: useColor, stallTimeout: stallTimeout)
    }
}

#if canImport(Glibc)
import Glibc
#endif
