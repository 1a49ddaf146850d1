#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// How evering waits when a queue has nothing for it: spin briefly, then yield the core,
/// then sleep with exponential backoff.
///
/// - **Spin** (`spinIterations` CPU-relax hints, ~3 µs at the ~50 ns a PAUSE takes on the
///   project's EPYC machines): a ping-pong peer on its own core answers in ~0.3 µs, so most
///   waits end here. Longer is worse: 2000 pauses made a ping-pong whose two ends share one
///   core take ~250 µs per round trip (p50), 64 pauses ~10 µs (docs/LOAD.md).
/// - **Yield** (`sched_yield` for up to `yieldNanoseconds`): on a small or busy machine the
///   peer is often runnable on *our* core; yielding hands it the core at once, while a long
///   spin would burn the very slice the peer needs, and even the shortest nanosleep costs
///   ~60 µs of timer slack. With nobody else runnable, a yield returns in a few hundred ns.
/// - **Sleep** (8 µs doubling to `maxSleepNanoseconds`): an idle side costs almost nothing.
///
///     var backoff = Backoff()
///     while queue.tryReceive() == nil { backoff.pause() }
public struct Backoff: Sendable {
    public var spinIterations: Int
    public var yieldNanoseconds: UInt64
    public var maxSleepNanoseconds: Int

    private var iterations = 0
    private var yieldingSince: UInt64 = 0
    private var sleeps = 0

    public init(spinIterations: Int = 64, yieldNanoseconds: UInt64 = 200_000, maxSleepNanoseconds: Int = 256_000) {
        self.spinIterations = spinIterations
        self.yieldNanoseconds = yieldNanoseconds
        self.maxSleepNanoseconds = maxSleepNanoseconds
    }

    /// Starts over at the spin phase (call after the wait ended with progress).
    public mutating func reset() {
        iterations = 0
        sleeps = 0
    }

    /// Whether the pauses so far are still in the spin phase (callers read clocks less often then).
    public var isSpinning: Bool { iterations < spinIterations }

    /// Waits a little; each call waits as long as or longer than the one before.
    public mutating func pause() {
        iterations += 1
        if iterations < spinIterations {
            ev_cpu_relax()
            return
        }
        let now = ev_monotonic_ns()
        if iterations == spinIterations { yieldingSince = now }
        if now &- yieldingSince < yieldNanoseconds {
            sched_yield()
        } else {
            var request = timespec(tv_sec: 0, tv_nsec: min(maxSleepNanoseconds, 8_000 << min(sleeps, 16)))
            sleeps += 1
            _ = nanosleep(&request, nil)  // an early EINTR wake-up is just an early retry
        }
    }
}
