#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Set by the SIGINT/SIGTERM handler; an atomic store is async-signal-safe.
private let stopRequested = Atomic<Bool>(false)

/// Clean shutdown on Ctrl-C / SIGTERM: the handler only raises a flag, the loops see it
/// and stop submitting, drain, report and detach.
public enum StopSignal {
    /// Installs the handlers (and ignores SIGPIPE, so a vanished peer is an EPIPE error
    /// we can report rather than a silent death).
    public static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Relaxed: the flag carries no data; seeing it one iteration late is fine.
    public static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// For embedders that want to stop a run from code.
    public static func request() { stopRequested.store(true, ordering: .relaxed) }
}
