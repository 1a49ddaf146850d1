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
///   is ready at its scheduled time `start + i / R`, whether or not the window had room
///   then, so a responder that stalls is charged for every op it delayed, not only for
///   the one it held (no coordinated omission). A run whose transport cannot keep the
///   rate shows it as latency that grows with the backlog.
///
/// Ops are not stamped when sent: sending reads no clock for latency at all, and a
/// transport takes part only by saying when it received each completion.
struct OpReadiness {
    /// Sequence of the first op of the window (after any leak-cancel ops).
    let first: UInt64
    let concurrency: UInt64
    /// Per-op storage is indexed by `sequence & mask`; the window size (mask + 1) is at
    /// least `concurrency`, so the ops in flight and the next one to become ready never
    /// share an index.
    let mask: UInt64
    /// The run's start (CLOCK_MONOTONIC ns): the first window's ready time, and time 0 of
    /// a paced run's schedule.
    let start: UInt64
    /// Ops per second (paced), nil when unpaced.
    let rate: Double?
    /// Unpaced: when each op's window slot was freed.
    let windowFreedAt: UnsafeMutablePointer<UInt64>

    init(first: UInt64, concurrency: Int, windowSize: Int, start: UInt64, rate: Double?) {
        precondition(windowSize >= concurrency && windowSize & (windowSize - 1) == 0,
                     "the window must be a power of two holding every op in flight")
        self.first = first
        self.concurrency = UInt64(concurrency)
        mask = UInt64(windowSize - 1)
        self.start = start
        self.rate = rate
        windowFreedAt = .allocate(capacity: windowSize)
        // The first `concurrency` ops may go at once; the others' entries are written
        // when the op `concurrency` before them leaves the window, before they can go.
        windowFreedAt.initialize(repeating: start, count: windowSize)
    }

    func deallocate() { windowFreedAt.deallocate() }

    /// When op `sequence` (one of the run's window ops: `sequence >= first`) was ready.
    @inline(__always)
    func readyTime(of sequence: UInt64) -> UInt64 {
        if let rate { return scheduledTime(ofIndex: sequence &- first, rate: rate) }
        return windowFreedAt[Int(sequence & mask)]
    }

    /// The window's oldest op, `sequence`, left it at `time` (when the completion that
    /// freed it was received): op `sequence + concurrency` may be issued from then on.
    @inline(__always)
    func released(_ sequence: UInt64, at time: UInt64) {
        windowFreedAt[Int((sequence &+ concurrency) & mask)] = time
    }

    /// Latency of op `sequence`, whose completion was received at `receivedAt`.
    @inline(__always)
    func latency(of sequence: UInt64, receivedAt: UInt64) -> UInt64 {
        let ready = readyTime(of: sequence)
        // A scheduled time rounds up to the next ns; never report less than nothing.
        return receivedAt > ready ? receivedAt &- ready : 0
    }

    // MARK: The schedule of a paced run

    /// Ops of a paced run (counted from `first`) whose scheduled time is `now` or earlier:
    /// op `i` is due once `i / rate` seconds of the run have passed.
    @inline(__always)
    func dueCount(at now: UInt64, rate: Double) -> UInt64 {
        guard now >= start else { return 0 }
        return UInt64(Double(now &- start) * rate / 1e9) &+ 1
    }

    /// When op `index` (counted from `first`) of a paced run is due: the earliest ns at
    /// which `dueCount` includes it.
    @inline(__always)
    func scheduledTime(ofIndex index: UInt64, rate: Double) -> UInt64 {
        start &+ UInt64((Double(index) * 1e9 / rate).rounded(.up))
    }
}
