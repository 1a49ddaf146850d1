import CEvering

/// The schedule of a `--rate` run: op k (counted from the first paced op) is due at
/// `start + k / rate`, whatever happened to the ops before it, so a slow op does not push
/// the rest back (the offered load stays the one asked for).
///
/// Between ops the requester *sleeps* until shortly before the next one is due, then spins
/// the rest. That margin is what keeps a paced run cheap: busy-waiting the whole gap made
/// every transport's CPU at 10,000 ops/s about one core (0.93 s of 1 s on the requester
/// side alone, docs/benchmarks/wakeup-notes.md), hiding the transports' own cost. The
/// same pacer serves every transport.
struct Pacer {
    let start: UInt64
    let rate: Double
    /// How early a sleep ends before the op is due: the timer's wake-up latency on a VM
    /// (tens of µs), spun away so the op still leaves on time.
    static let wakeMarginNanoseconds: UInt64 = 20_000
    /// Gaps shorter than this are spun (a sleep would cost more than it saves).
    static let shortestSleepNanoseconds: UInt64 = 30_000

    /// Also sets this thread's timer slack to 1 µs, so a sleep ends when asked rather than up
    /// to 50 µs late (the kernel's default slack), which at 10,000 ops/s is half a gap.
    init(start: UInt64, rate: Double) {
        self.start = start
        self.rate = rate
        _ = ev_set_timer_slack_ns(1_000)
    }

    /// When the op with this index (0 = first paced op) is due.
    func due(_ index: UInt64) -> UInt64 {
        start &+ UInt64(Double(index) * 1e9 / rate)
    }

    /// How many ops are due by `now` (the next one included: the first is due at `start`).
    func opsDue(at now: UInt64) -> UInt64 {
        UInt64(Double(now &- start) * rate / 1e9) + 1
    }

    /// Waits until `due`, or at most until `limit` (the requester's next supervision): a
    /// sleep to `wakeMarginNanoseconds` before it, then a spin.
    static func wait(until due: UInt64, limit: UInt64) {
        let target = min(due, limit)
        var now = ev_monotonic_ns()
        if target > now &+ shortestSleepNanoseconds {
            ev_sleep_until_ns(target &- wakeMarginNanoseconds)
            now = ev_monotonic_ns()
        }
        while now < target {
            for _ in 0..<16 { ev_cpu_relax() }
            now = ev_monotonic_ns()
        }
    }
}
