#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// Reproducible random pauses for wake-up stress runs: nothing, a busy wait, or a sleep,
/// each up to a bound, so that both sides of a ring go to sleep and are woken in every
/// combination (spinning peer, sleeping peer, peer woken mid-spin). Used by the wake-up
/// stress test's peer, `echo-responder --delay-us` and `bench ipc`'s lost-wake-up run.
public struct RandomPause: Sendable {
    /// xorshift64* state (never 0).
    private var state: UInt64
    public let maxMicroseconds: UInt64

    public init(seed: UInt64, maxMicroseconds: UInt64) {
        state = seed | 1
        self.maxMicroseconds = maxMicroseconds
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2685821657736338717
    }

    /// One pause: a quarter of the draws none, a quarter busy, half asleep.
    public mutating func pause() {
        guard maxMicroseconds > 0 else { return }
        let draw = next()
        let micros = (draw >> 8) % (maxMicroseconds + 1)
        switch draw & 3 {
        case 0: return
        case 1:
            let until = ev_monotonic_ns() &+ micros &* 1000
            while ev_monotonic_ns() < until { ev_cpu_relax() }
        default:
            var request = timespec(tv_sec: 0, tv_nsec: Int(micros * 1000))
            _ = nanosleep(&request, nil)
        }
    }
}
