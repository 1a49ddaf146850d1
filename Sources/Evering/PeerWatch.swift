import CEvering

/// What the heartbeat thread does for this side's sleepers after each beat: it looks at the
/// peer, and when the peer has detached or is gone it ends this side's futex sleeps, so a
/// blocked call learns it at once instead of at the end of a long capped wait.
///
/// This is what lets an idle side cost nothing but its heartbeat: a waiter sleeps on its
/// futex for up to `BlockingWaiter.maxSleepNanoseconds` (1 s) instead of waking every
/// 100 ms to check on the peer itself (0.13–0.22% of a core here, each wake-up of an idle
/// vCPU costing 25–35 µs, plus a /proc read). The peer's heartbeat makes the check cheap:
/// a beat younger than `freshNanoseconds` means its process ran a moment ago, so only a
/// stale beat (or a side block that no longer says ATTACHED) costs a `PeerMonitor.check`,
/// the `kill` + /proc read that tells dead from stopped.
struct PeerWatch: @unchecked Sendable {
    // @unchecked: pointers into the shared mapping, read with the ABI's atomics; the
    // monitor is immutable and thread-safe.
    private let peer: PeerMonitor
    private let peerBlock: UnsafeMutablePointer<ev_side>
    /// The `sleeping` words of this side's two waiters: the queue it consumes (waiting for
    /// entries) and the queue it produces into (waiting for space).
    private let ownSleepingWords: (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>)

    /// Two heartbeat periods: a beat older than this is late enough to ask the kernel.
    static let freshNanoseconds: UInt64 = 2 * SideAttachment.heartbeatInterval

    init(region: SharedRegion, side: RingSide) {
        peer = PeerMonitor(region: region, side: side.peer)
        peerBlock = region.side(side.peer)
        let layout = region.layout
        let sq = region.queueBlock(layout.submission), cq = region.queueBlock(layout.completion)
        ownSleepingWords = side == .requester
            ? (ev_waiter_sleeping_ptr(ev_queue_consumer_wait_ptr(cq)), ev_waiter_sleeping_ptr(ev_queue_producer_wait_ptr(sq)))
            : (ev_waiter_sleeping_ptr(ev_queue_consumer_wait_ptr(sq)), ev_waiter_sleeping_ptr(ev_queue_producer_wait_ptr(cq)))
    }

    /// Whether our sleepers should be woken: the peer left or is gone. A peer that never
    /// attached, or one that is alive (stopped included), is not a reason.
    func peerIsGone(now: UInt64) -> Bool {
        // Acquire pairs with the peer's release store of its state (its heartbeat, pid and
        // namespace are written before it): the cheap path below reads a heartbeat that
        // belongs to the side we saw attached.
        let state = ev_load_acquire_u32(ev_side_state_ptr(peerBlock))
        if state == EV_SIDE_ATTACHED.rawValue {
            // Relaxed: a timestamp; nothing is published with it.
            let beat = ev_load_relaxed_u64(ev_side_heartbeat_ptr(peerBlock))
            if beat != 0 && (beat >= now || now - beat <= Self.freshNanoseconds) { return false }
        } else if state != EV_SIDE_DETACHED.rawValue {
            return false  // never attached (yet), or mid-claim: nothing to wait for
        }
        do { try peer.check() } catch { return true }
        return false
    }

    /// Clears and wakes our two futex words (`ev_futex_clear_and_wake`): a sleeper about to
    /// enter FUTEX_WAIT finds 0 and returns at once, so the wake cannot be lost in that gap.
    /// Each woken waiter re-checks its queue and the peer, and throws.
    func wakeOwnSleepers() {
        SystemCalls.futexClearAndWake(ownSleepingWords.0)
        SystemCalls.futexClearAndWake(ownSleepingWords.1)
    }

    /// Called by the heartbeat thread after each beat. While the peer stays gone our
    /// sleepers are woken at every beat, so one that went to sleep just after a wake (and
    /// before it could check) is not left for a whole capped wait.
    func tick(now: UInt64) {
        if peerIsGone(now: now) { wakeOwnSleepers() }
    }
}
