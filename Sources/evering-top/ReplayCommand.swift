import ArgumentParser
import EveringDashboard
import EveringRecording
import EveringTerminal

/// `evering-top replay FILE`: the dashboard over a recording, with a timeline.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording (from `record`) in the dashboard, with a timeline.",
        discussion: """
            Keys: <-/-> step one sample, [ / ] seek -/+10s, +/- speed x0.25 to x16, g first finding, G end, \
            Home start, space pause, q quit; Tab, scrolling, s (sort) and h (help) as in attach. The header says \
            REPLAY and the wall-clock time the sample was taken; the screen shows what `dump FILE --at T` prints. \
            A damaged file replays up to its first bad record (a warning says where). Exit 2 if the file cannot be read.
            """
    )

    @Argument(help: "The recording (FILE.evrec).") var file: String
    @Option(help: "Start at this time into the recording (e.g. 12.5s).", transform: FlagValue.duration(InspectRecording.atRange))
    var at: Duration?
    @Flag(help: "Start paused.") var paused = false
    @Flag(help: "No colours (also when the NO_COLOR environment variable is set).") var noColor = false
    @Flag(help: "ASCII only: no block or box-drawing characters.") var ascii = false

    func run() throws {
        let recording = try InspectRecording.open(file)
        do { try TerminalUnavailable.check() } catch { throw CommandFailure.cannotAttach("\(error)") }
        let feed = ReplayFeed(recording)
        if let at { feed.seek(to: at.seconds) }
        feed.paused = paused
        let color = !noColor && (getenv("NO_COLOR").map { $0.pointee == 0 } ?? true)
        let state = DashboardState(interval: 1, ascii: ascii, color: color, stallTimeout: recording.header.stallTimeoutSeconds)
        let exit = try TerminalLoop.run(ReplayView(feed: feed, state: state), color: color)
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
