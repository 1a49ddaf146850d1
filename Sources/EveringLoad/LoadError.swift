import Evering
import Foundation

/// Everything that can stop a load run, with messages written for the user.
public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidFault(String, reason: String)
    case invalidDuration(String, what: String)
    case invalidConfiguration(String)
    /// An error from the ring library (peer dead, not found, ...).
    case ring(RingError)
    /// The responder went away mid-run (ring peer dead/detached, socket EOF, child exit).
    case responderGone(String)
    /// The responder is attached and alive but its heartbeat stopped (hung or SIGSTOPped).
    case responderHung(pid: Int32, silentFor: Duration)
    /// The requester went away (seen by the responder).
    case requesterGone(String)
    /// The other side did not show up in time.
    case peerNeverArrived(String)
    /// The ring name is taken; the message says by what (see `ExistingObject`).
    case nameTaken(String)
    case system(call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidFault(text, reason): "invalid --fault '\(text)': \(reason)"
        case let .invalidDuration(text, what): "invalid \(what): '\(text)' is not a duration like 10s, 250ms or 200us"
        case let .invalidConfiguration(reason): reason
        case let .ring(error): error.description
        case let .responderGone(detail): "responder gone: \(detail)"
        case let .responderHung(pid, silent):
            "responder (pid \(pid)) is attached but its heartbeat stopped \(String(format: "%.1f", Double(silent.nanoseconds) / 1e9)) s ago: it is hung or stopped (SIGSTOP)"
        case let .requesterGone(detail): "requester gone: \(detail)"
        case let .peerNeverArrived(detail): detail
        case let .nameTaken(detail): detail
        case let .system(call, errno): "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
