#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Synchronization

/// This process's claim on one side of a ring: it fills the side block, keeps the
/// heartbeat fresh from a background thread, holds one connection reference, and on
/// `detach` hands all of that back.
///
/// Heartbeat: a ticker thread stores CLOCK_MONOTONIC every 50 ms, independent of what
/// the side's own threads do, so a side blocked in a wait still beats while a frozen
/// (SIGSTOPped, or wedged in the kernel) process does not.
final class SideAttachment: @unchecked Sendable {
    // @unchecked: `detached` is guarded by `lock`; the rest is immutable.
    let region: SharedRegion
    let side: RingSide
    private let ticker: HeartbeatTicker
    private let lock = Mutex(false)

    static let heartbeatInterval: UInt64 = 50_000_000

    init(region: SharedRegion, side: RingSide, capabilities: UInt32 = EV_CAP_WAKES_PEER.rawValue) throws(RingError) {
        precondition(region.isWritable, "attaching as a side needs a writable mapping")
        self.region = region
        self.side = side
        let block = region.side(side)
        // Acquire pairs with the previous holder's release store of state.
        let state = ev_load_acquire_u32(ev_side_state_ptr(block))
        if state == EV_SIDE_ATTACHED.rawValue {
            let holder = ProcessIdentity(pid: block.pointee.pid, startTime: block.pointee.start_time)
            if holder.liveness == .alive { throw .sideTaken(side: side, pid: holder.pid) }
        }
        let me = ProcessIdentity.current
        block.pointee.pid = me.pid
        block.pointee.start_time = me.startTime
        block.pointee.attached_at_ns = ev_realtime_ns()
        block.pointee.detached_at_ns = 0
        block.pointee.capabilities = capabilities  // what we do for the peer (EV_CAP_WAKES_PEER: we wake it); plain, before the release of state
        // Relaxed: the heartbeat is a timestamp, it publishes nothing else.
        ev_store_relaxed_u64(ev_side_heartbeat_ptr(block), ev_monotonic_ns())
        // Release pairs with readers' acquire load of state: pid and start time first.
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_ATTACHED.rawValue)
        // A holder that died attached never dropped its reference: we inherit it rather
        // than add one, so the count stays "attached sides" (0...2) across crashes.
        if state != EV_SIDE_ATTACHED.rawValue {
            // Acq-rel: the count decides who reclaims the object, so it must order with
            // each side's other writes.
            _ = ev_fetch_add_acq_rel_u32(ev_header_refcount_ptr(region.header), 1)
        }
        ticker = HeartbeatTicker(slot: ev_side_heartbeat_ptr(block), intervalNanoseconds: Self.heartbeatInterval)
    }

    /// Marks the side detached and drops this side's reference. Returns true when this
    /// was the last reference (the caller may unlink the name). Safe to call twice.
    @discardableResult
    func detach() -> Bool {
        let first = lock.withLock { detached -> Bool in
            defer { detached = true }
            return !detached
        }
        guard first else { return false }
        ticker.stop()
        let block = region.side(side)
        block.pointee.detached_at_ns = ev_realtime_ns()
        // Release pairs with the peer's acquire load in PeerMonitor.check.
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_DETACHED.rawValue)
        // Acq-rel: see init.
        let previous = ev_fetch_sub_acq_rel_u32(ev_header_refcount_ptr(region.header), 1)
        return previous == 1
    }

    deinit { detach() }
}

/// A background thread that stores the monotonic clock into one word every interval.
final class HeartbeatTicker: @unchecked Sendable {
    // @unchecked: `slot` is written only by the ticker thread, with relaxed atomics;
    // `running` is an Atomic.
    private let slot: UnsafeMutablePointer<UInt64>
    private let interval: UInt64
    private let running = Atomic<Bool>(true)
    private var thread = pthread_t()

    init(slot: UnsafeMutablePointer<UInt64>, intervalNanoseconds: UInt64) {
        self.slot = slot
        self.interval = intervalNanoseconds
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let ticker = Unmanaged<HeartbeatTicker>.fromOpaque(raw!).takeRetainedValue()
            ticker.run()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create for the heartbeat failed: \(rc)")
    }

    private func run() {
        // Relaxed load of `running`: the flag only asks us to stop soon; the join in
        // stop() is what orders the end of this thread with the caller.
        while running.load(ordering: .relaxed) {
            // Relaxed: a timestamp that publishes nothing else.
            ev_store_relaxed_u64(slot, ev_monotonic_ns())
            var request = timespec(tv_sec: 0, tv_nsec: Int(interval))
            _ = nanosleep(&request, nil)
        }
    }

    /// Stops the thread and waits for it, so the mapping can be released after.
    func stop() {
        // Relaxed: see run(); pthread_join provides the happens-before.
        guard running.exchange(false, ordering: .relaxed) else { return }
        pthread_join(thread, nil)
    }
}
