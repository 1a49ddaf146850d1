/// When each op of a run is *ready*: the moment the requester is allowed to issue it.
/// An op's latency runs from here to the reaping of its completion, so every wait in
/// between counts, whichever transport carries the op and whatever it is waiting for: a
/// ring slot or queue entry, socket or pipe buffer space, the ops ahead of it that are
/// stuck on either, the responder. (Timing from the moment a transport *accepted* an op
/// leaves out exactly the queueing a byte stream does in its own buffers before it
/// accepts, while a ring accepts at once and queues inside: at 200 in flight that made a
/// socket look 50× faster than the ring for the same work.)
///
/// The rule (docs/LOAD.md, "Latency"), the one place it is applied for every transport:
/// - **Unpaced** (`--rate max`): the window of `concurrency` ops in flight is the only
///   thing holding an op back. The first `concurrency` ops are ready at the run's start;
///   op `k` after them is ready when op `k - concurrency` left the window, i.e. when the
///   completion that let the window's oldest op go was taken off the transport (its
///   `LoadCompletion.receivedAt`).
/// - **Paced** (`--rate R`): op `i` of the run (counted from the first op of the window)
///   is due at its scheduled time `S = start + i / R` (`Pacer`, the one schedule). If the window was still full at
///   `S` (its slot freed at `W > S`: answers came late), the op is ready at `S`: a
///   responder that stalls is charged for every op it delayed, not only for the one it
///   held, so there is no coordinated omission, and a transport that cannot keep the
///   rate shows it as latency growing with the backlog. If the window had room at `S`,
///   the op is ready when the requester's loop was first up to issue it (its first pass
///   at or after `S`): how late the requester itself wakes for an op it had room for
///   (timer slack, ~50 µs on a VM, or a busy CPU) is the load generator's delay, not the
///   transport's, and at 10-100 µs round trips it would swamp what is being compared.
///
/// Nothing is stamped when a transport takes an op: a transport takes part only by
/// saying when it received each completion.
struct OpReadiness {
    /// Sequence of the first op of the window (after any leak-cancel ops).
    let first: UInt64
    let concurrency: UInt64
    /// Per-op storage is indexed by `sequence & mask`; the window size (mask + 1) is at
    /// least `concurrency`, so the ops in flight and the next one to become ready never
    /// share an index.
    let mask: UInt64
    /// The run's start (CLOCK_MONOTONIC ns): the first window's ready time.
    let start: UInt64
    /// Per op: when its window slot was freed; in a paced run, once the op is allowed
    /// out (`allowed(through:)`), its ready time.
    let readyAt: UnsafeMutablePointer<UInt64>
    /// Paced: ops before this one have their ready time.
    var allowedThrough: UInt64

    init(first: UInt64, concurrency: Int, windowSize: Int, start: UInt64) {
        precondition(windowSize >= concurrency && windowSize & (windowSize - 1) == 0,
                     "the window must be a power of two holding every op in flight")
        self.first = first
        self.concurrency = UInt64(concurrency)
        mask = UInt64(windowSize - 1)
        self.start = start
        allowedThrough = first
        readyAt = .allocate(capacity: windowSize)
        // The first `concurrency` ops may go at once; the others' entries are written
        // when the op `concurrency` before them leaves the window, before they can go.
        readyAt.initialize(repeating: start, count: windowSize)
    }

    func deallocate() { readyAt.deallocate() }

    /// When op `sequence` (one of the run's window ops, already sent) was ready.
    @inline(__always)
    func readyTime(of sequence: UInt64) -> UInt64 {
        readyAt[Int(sequence & mask)]
    }

    /// The window's oldest op, `sequence`, left it at `time` (when the completion that
    /// freed it was received): op `sequence + concurrency` may be issued from then on.
    @inline(__always)
    func released(_ sequence: UInt64, at time: UInt64) {
        readyAt[Int((sequence &+ concurrency) & mask)] = time
    }

    /// Paced runs: the requester's loop, in its pass that began at `now`, may issue every
    /// op before `end` (each is due on `schedule` and has room in the window). Fixes the
    /// ready time of those it had not allowed before: the scheduled time if the window held
    /// the op past it, else `now`. Called before any of them is sent.
    @inline(__always)
    mutating func allowed(through end: UInt64, at now: UInt64, schedule: Pacer) {
        while allowedThrough < end {
            let index = Int(allowedThrough & mask)
            let scheduled = schedule.due(allowedThrough &- first)
            readyAt[index] = readyAt[index] > scheduled ? scheduled : max(now, scheduled)
            allowedThrough &+= 1
        }
    }

    /// Latency of op `sequence`, whose completion was received at `receivedAt`.
    @inline(__always)
    func latency(of sequence: UInt64, receivedAt: UInt64) -> UInt64 {
        let ready = readyTime(of: sequence)
        // Never report less than nothing (a made-up time in a test, a clock read racing).
        return receivedAt > ready ? receivedAt &- ready : 0
    }
}
