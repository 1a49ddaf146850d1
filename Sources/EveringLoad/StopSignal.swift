#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Evering

/// Clean shutdown on Ctrl-C / SIGTERM: the handler only raises the library's process-wide
/// `StopRequest` (an atomic store plus FUTEX_WAKEs, async-signal-safe); the loops see it and
/// stop submitting, drain, report and detach, and any blocking ring call ends at once with
/// `stopRequested` instead of sleeping out its wait.
public enum StopSignal {
    /// Installs the handlers (and ignores SIGPIPE, so a vanished peer is an EPIPE error
    /// we can report rather than a silent death).
    public static func install() {
        signal(SIGINT) { _ in StopRequest.request() }
        signal(SIGTERM) { _ in StopRequest.request() }
        signal(SIGPIPE, SIG_IGN)
    }

    public static var isRequested: Bool { StopRequest.isRequested }

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
    public static func request() { StopRequest.request() }
}
