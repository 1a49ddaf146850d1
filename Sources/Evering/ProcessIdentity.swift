#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// A process named by its pid *and* its start time, so a recycled pid is not mistaken
/// for the process that once had it.
public struct ProcessIdentity: Hashable, Sendable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks after boot when the process started.
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: startTime(of: pid) ?? 0)
    }

    public enum Liveness: String, Sendable {
        /// The pid exists and started when the ring says it did.
        case alive
        /// No process has this pid.
        case dead
        /// The pid exists but belongs to a process started later: the original is dead.
        case pidReused = "pid-reused"
    }

    /// Checks the process with `kill(pid, 0)` and its /proc start time.
    public var liveness: Liveness {
        guard pid > 0 else { return .dead }
        if kill(pid, 0) != 0 && errno == ESRCH { return .dead }  // EPERM still means "exists"
        guard let now = Self.startTime(of: pid) else { return .dead }  // exited between the two checks
        return startTime == 0 || now == startTime ? .alive : .pidReused
    }

    /// Field 22 of /proc/PID/stat, or nil when the process does not exist.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let text = SystemCalls.readSmallFile("/proc/\(pid)/stat") else { return nil }
        return parseStartTime(statLine: text)
    }

    /// Parses field 22 of a /proc/PID/stat line. The command name (field 2) may contain
    /// spaces and parentheses, so fields are counted from the *last* ')'.
    public static func parseStartTime(statLine: String) -> UInt64? {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let rest = statLine[statLine.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state), so field 22 is rest[19].
        guard rest.count > 19 else { return nil }
        return UInt64(rest[19])
    }
}

/// Monotonic and wall clocks in nanoseconds, the units the ABI stores.
public enum Clock {
    @inlinable public static var monotonicNanoseconds: UInt64 { ev_monotonic_ns() }
    @inlinable public static var realtimeNanoseconds: UInt64 { ev_realtime_ns() }
}
