import Evering
import Foundation

/// Everything that can stop a load run, with messages written for the user.
public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidFault(String, reason: String)
    case invalidConfiguration(String)
    /// An error from the ring library (peer dead, not found, ...).
    case ring(RingError)
    /// The responder went away mid-run (ring peer dead/detached, socket EOF).
    case responderGone(String)
    /// The spawned responder process ended by itself mid-run (`status` as from waitpid).
    case responderProcessEnded(pid: Int32, status: Int32)
    /// The drain gave up: ops still in flight `after` the last completion.
    case drainTimedOut(inFlight: UInt64, after: Duration)
    /// The responder is attached and alive but its heartbeat stopped (hung or SIGSTOPped).
    case responderHung(pid: Int32, silentFor: Duration)
    /// The requester went away (seen by the responder).
    case requesterGone(String)
    /// The other side did not show up in time.
    case peerNeverArrived(String)
    /// The ring name is taken; the message says by what (see `ExistingObject`).
    case nameTaken(String)
    case system(call: String, errno: Int32)
    /// A failure read back from another process's `--json` summary: its kind and message.
    case reported(kind: String, message: String)

    public var description: String {
        switch self {
        case let .invalidFault(text, reason): "invalid --fault '\(text)': \(reason)"
        case let .invalidConfiguration(reason): reason
        case let .ring(error): error.description
        case let .responderGone(detail): "responder gone: \(detail)"
        case let .responderProcessEnded(pid, status):
            "responder gone: the responder process (pid \(pid)) \(ChildProcess.describe(status))"
        case let .drainTimedOut(inFlight, after):
            "\(inFlight) ops still in flight \(DurationText.format(after)) after the last completion; the responder is not answering"
        case let .responderHung(pid, silent):
            "responder (pid \(pid)) is attached but its heartbeat stopped \(String(format: "%.1f", Double(silent.nanoseconds) / 1e9)) s ago: it is hung or stopped (SIGSTOP)"
        case let .requesterGone(detail): "requester gone: \(detail)"
        case let .peerNeverArrived(detail): detail
        case let .nameTaken(detail): detail
        case let .system(call, errno): "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .reported(_, message): message
        }
    }
}

extension LoadError {
    /// A stable name for the case (the `failureKind` of `load --json`, docs/LOAD.md).
    public var kind: String {
        switch self {
        case .invalidFault: "invalid-fault"
        case .invalidConfiguration: "invalid-configuration"
        case .ring: "ring"
        case .responderGone: "responder-gone"
        case .responderProcessEnded: "responder-process-ended"
        case .drainTimedOut: "drain-timed-out"
        case .responderHung: "responder-hung"
        case .requesterGone: "requester-gone"
        case .peerNeverArrived: "peer-never-arrived"
        case .nameTaken: "name-taken"
        case .system: "system"
        case let .reported(kind, _): kind
        }
    }

    /// Errors in what the user asked for (a usage error, exit 64), as opposed to what
    /// happened while running.
    public var isUsageError: Bool {
        switch self {
        case .invalidFault, .invalidConfiguration: true
        default: false
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
