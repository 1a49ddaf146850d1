/// `io_uring:PID` or `io_uring:PID:FD`, the way commands name a kernel ring instead of an
/// evering shm ring.
public struct IOUringTarget: Equatable, Sendable, CustomStringConvertible {
    public static let prefix = "io_uring:"

    public var pid: Int32
    /// Nil: the process's only io_uring (an error if it has several).
    public var fd: Int32?

    public init(pid: Int32, fd: Int32? = nil) {
        self.pid = pid
        self.fd = fd
    }

    /// Whether a command argument names an io_uring rather than an evering ring.
    public static func matches(_ argument: String) -> Bool { argument.hasPrefix(prefix) }

    /// Parses `io_uring:PID[:FD]`.
    public init(parsing text: String) throws(IOUringError) {
        guard text.hasPrefix(Self.prefix) else { throw .invalidTarget(text, reason: "it does not start with \(Self.prefix)") }
        let parts = text.dropFirst(Self.prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { throw .invalidTarget(text, reason: "too many ':'") }
        guard let pid = Int32(parts[0]), pid > 0 else { throw .invalidTarget(text, reason: "'\(parts[0])' is not a positive pid") }
        var fd: Int32?
        if parts.count == 2 {
            guard let number = Int32(parts[1]), number >= 0 else { throw .invalidTarget(text, reason: "'\(parts[1])' is not a file descriptor number") }
            fd = number
        }
        self.init(pid: pid, fd: fd)
    }

    public var description: String { fd.map { "\(Self.prefix)\(pid):\($0)" } ?? "\(Self.prefix)\(pid)" }
}
