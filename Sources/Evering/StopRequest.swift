import CEvering
import Synchronization

/// Set once a stop was requested; an atomic store is async-signal-safe.
private let stopFlag = Atomic<Bool>(false)

/// A process-wide request to stop: every blocking ring call (`receive`, `send` on a full
/// queue, `Requester.wait(for:)`, `submit`) throws `RingError.stopRequested` soon after it,
/// instead of waiting out its timeout.
///
/// `request()` is async-signal-safe, so a SIGINT/SIGTERM handler may call it:
///
///     signal(SIGINT) { _ in StopRequest.request() }
///
/// A sleeper on a futex is woken at once (see `ev_sleepers_wake_all`), and so is one that
/// checked the flag a moment before the request and had not yet entered the kernel: its
/// word is cleared with the wake, so its FUTEX_WAIT returns at once.
public enum StopRequest {
    /// Raises the flag and wakes this process's futex sleepers. Async-signal-safe.
    public static func request() {
        // Sequentially consistent: the store must be ordered before the loads of the
        // sleeper table in ev_sleepers_wake_all (a store-load pair, as in the wake-up
        // protocol), pairing with the fence a sleeper issues between registering its word
        // and loading this flag. Either the sleeper sees the flag, or we see its word.
        stopFlag.store(true, ordering: .sequentiallyConsistent)
        ev_sleepers_wake_all()
    }

    /// Relaxed: the flag carries no data; a waiter that sees it one pause late is fine.
    public static var isRequested: Bool { stopFlag.load(ordering: .relaxed) }

    /// Lowers the flag again (tests, or an embedder that handled the stop and carries on).
    public static func reset() { stopFlag.store(false, ordering: .relaxed) }
}
