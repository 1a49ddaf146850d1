import ArgumentParser
import Evering
import EveringInspect
import EveringLoad

/// The exit codes of every subcommand (docs/CLI.md, "Exit codes").
enum ExitStatus: Int32 {
    /// Success; for `check`, healthy.
    case ok = 0
    /// `check` found something, or a run failed (load, demo, bench).
    case failed = 1
    /// The ring (or io_uring) cannot be attached or read: missing, not evering, no access,
    /// not ready, corrupt, or it vanished while being read.
    case cannotAttach = 2
    /// Bad command-line usage (EX_USAGE).
    case usage = 64
}

/// The one error type the subcommands throw: a message written for the user and the exit
/// code it maps to. `EveringTop.main` prints it as `evering-top: MESSAGE` on stderr.
/// (Usage errors found while parsing are swift-argument-parser's `ValidationError`.)
struct CommandFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String
    var description: String { message }

    static func failed(_ message: String) -> CommandFailure { CommandFailure(status: .failed, message: message) }
    static func cannotAttach(_ message: String) -> CommandFailure { CommandFailure(status: .cannotAttach, message: message) }

    /// A ring that cannot be attached: the RingError's own message, plus the rings that
    /// do exist when the name is missing.
    static func cannotAttach(_ error: RingError) -> CommandFailure {
        guard case .notFound = error else { return .cannotAttach(error.description) }
        let rings = RingDirectory.everingRingNames()
        if rings.isEmpty { return .cannotAttach(error.description + "; there are no evering rings in /dev/shm") }
        return .cannotAttach(error.description + "; rings that exist: " + rings.map { "/" + $0 }.joined(separator: ", "))
    }

    /// Any error a command let through, classified: what the user sees and the code.
    static func classify(_ error: Error) -> CommandFailure {
        switch error {
        case let failure as CommandFailure: failure
        case let error as RingError: .cannotAttach(error)
        case let error as LoadError: CommandFailure(status: error.isUsageError ? .usage : .failed, message: error.description)
        default: .failed("\(error)")
        }
    }
}
