#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What can stop us reading an io_uring, with messages a user can act on.
public enum IOUringError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `io_uring:...` text that is not `io_uring:PID` or `io_uring:PID:FD`.
    case invalidTarget(String, reason: String)
    /// No process has this pid (it exited, or never existed).
    case processNotFound(pid: Int32)
    /// The process exists but belongs to someone else and we may not look at its fds.
    case permissionDenied(pid: Int32, owner: String)
    /// The process has no io_uring file descriptors (that we can see).
    case noIOUring(pid: Int32, command: String)
    /// The process has several; the user must pick one.
    case ambiguous(pid: Int32, fds: [Int32])
    /// /proc/PID/fd/FD does not exist.
    case fdNotFound(pid: Int32, fd: Int32)
    /// The fd exists but is not an io_uring (a file, socket, ...).
    case notAnIOUring(pid: Int32, fd: Int32, link: String)
    /// Any other failure of a /proc read.
    case system(call: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidTarget(text, reason):
            return "invalid io_uring target '\(text)': \(reason) (expected io_uring:PID or io_uring:PID:FD)"
        case let .processNotFound(pid):
            return "no process with pid \(pid) (it has exited or never existed)"
        case let .permissionDenied(pid, owner):
            return "permission denied reading the file descriptors of pid \(pid): it belongs to \(owner); run as that user or as root"
        case let .noIOUring(pid, command):
            return "pid \(pid) (\(command)) has no io_uring file descriptors"
        case let .ambiguous(pid, fds):
            let list = fds.map(String.init).joined(separator: ", ")
            return "pid \(pid) has \(fds.count) io_urings (fds \(list)); name one as io_uring:\(pid):FD"
        case let .fdNotFound(pid, fd):
            return "pid \(pid) has no file descriptor \(fd)"
        case let .notAnIOUring(pid, fd, link):
            return "fd \(fd) of pid \(pid) is not an io_uring (it is \(link))"
        case let .system(call, path, errno):
            return "\(call) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}
