#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// CPU time (user + system) from getrusage/wait4, to tell a run whose spinning processes
/// kept their cores from one where other work on the machine took turns with them.
public enum CPUTime {
    static func nanoseconds(_ usage: rusage) -> UInt64 {
        func ns(_ t: timeval) -> UInt64 { UInt64(max(0, t.tv_sec)) * 1_000_000_000 + UInt64(max(0, t.tv_usec)) * 1_000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    /// This thread's CPU time so far (the benchmark's driver loop runs on one thread).
    public static func currentThread() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(max(0, ts.tv_sec)) * 1_000_000_000 + UInt64(max(0, ts.tv_nsec))
    }
}
