#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
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

    /// Requests a stop once the parent process is gone (our parent pid changes when it
    /// exits, even by SIGKILL), so a load started by `demo` never outlives it. Polled
    /// every 100 ms from a background queue, off the load's hot loops.
    public static func stopWhenParentExits() {
        let parent = getppid()
        DispatchQueue.global(qos: .utility).async {
            while getppid() == parent && !isRequested { usleep(100_000) }
            request()
        }
    }

    /// For embedders that want to stop a run from code.
    public static func request() { stopRequested.store(true, ordering: .relaxed) }
}
