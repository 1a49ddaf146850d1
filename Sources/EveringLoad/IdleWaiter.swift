#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// How the load loops wait when nothing moved: a short spin (a round trip on an idle
/// machine is well under a microsecond), then `sched_yield` for up to 200 µs, then sleeps
/// backing off to 256 µs (an idle side wakes ~4000 times a second: cheap, and a paced
/// run's round trip pays at most that wake-up).
///
/// Why yield rather than sleep early: on a small, busy machine (2 cores, other work) the
/// peer is often runnable on *our* core; yielding hands it the core at once, while even
/// the shortest nanosleep costs ~60 µs of timer slack. Spinning long is worse still:
/// it burns the slice the peer needs.
struct IdleWaiter {
    private var iterations = 0
    private var idleSince: UInt64 = 0
    private var sleeps = 0

    static let spinIterations = 2_000
    static let yieldNanoseconds: UInt64 = 200_000

    mutating func reset() {
        iterations = 0
        sleeps = 0
    }

    mutating func pause() {
        iterations += 1
        if iterations < Self.spinIterations {
            ev_cpu_relax()
            return
        }
        let now = ev_monotonic_ns()
        if iterations == Self.spinIterations { idleSince = now }
        if now &- idleSince < Self.yieldNanoseconds {
            sched_yield()
        } else {
            // 8 µs, 16 µs, ... up to 256 µs, counted from the first sleep.
            var request = timespec(tv_sec: 0, tv_nsec: 8_000 << min(sleeps, 5))
            sleeps += 1
            _ = nanosleep(&request, nil)
        }
    }
}
