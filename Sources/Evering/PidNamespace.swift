#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which pid namespace a process lives in, as the ABI records it (`ev_side.pid_ns`): the
/// inode of `/proc/self/ns/pid`. A pid only names a process inside its own namespace, so a
/// side recorded from another namespace (a container) is judged by its heartbeat instead.
public enum PidNamespace {
    /// This process's pid namespace, or 0 when /proc does not say (0 = unknown in the ABI).
    public static let current: UInt64 = identity(ofProcessAt: "/proc/self")

    /// The namespace inode of the process whose /proc directory is `path`.
    static func identity(ofProcessAt path: String) -> UInt64 {
        SystemCalls.status(ofPath: path + "/ns/pid")?.inode ?? 0  // the package's one stat (EINTR retried)
    }

    /// Whether a side recorded with namespace `recorded` can be judged by its pid from here:
    /// true for the same namespace, and for 0 (a 1.0 side, or one that could not tell).
    public static func canJudgeByPid(recorded: UInt64) -> Bool {
        recorded == 0 || current == 0 || recorded == current
    }
}
