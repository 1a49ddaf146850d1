#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// How the load loops wait when nothing moved: a short spin (a round trip on an idle
/// machine is well under a microsecond), then `sched_yield` for up to 2 ms, then sleeps
/// backing off to 1 ms.
///
/// Why yield rather than sleep early: on a small, busy machine (2 cores, other work) the
/// peer is often runnable on *our* core; yielding hands it the core at once, while even
/// the shortest nanosleep costs ~60 µs of timer slack. Spinning long is worse still:
/// it burns the slice the peer needs.
struct IdleWaiter {
    private var iterations = 0
    private var idleSince: UInt64 = 0

    static let spinIterations = 2_000
    static let yieldNanoseconds: UInt64 = 2_000_000

    mutating func reset() { iterations = 0 }

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
            let exponent = min((iterations - Self.spinIterations) / 64, 7)
            var request = timespec(tv_sec: 0, tv_nsec: min(1_000_000, 8_000 << exponent))
            _ = nanosleep(&request, nil)
        }
    }
}
