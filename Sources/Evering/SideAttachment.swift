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

    /// What the claim found: a takeover from a dead owner, an inherited reference.
    let claim: SideClaim.Outcome
    private let me: ProcessIdentity

    /// Claims `side` (docs/ABI.md "Claiming a side") and starts the heartbeat.
    ///
    /// - Parameter capabilities: `ev_capability` bits this process implements for its peer,
    ///   published in the side block with the claim.
    /// - Throws: `sideTaken` naming the live holder, `unsupportedWriterFeatures`.
    init(region: SharedRegion, side: RingSide, capabilities: UInt32 = 0) throws(RingError) {
        self.region = region
        self.side = side
        let me = ProcessIdentity.current
        self.me = me
        claim = try SideClaim.claim(region, side: side, me: me, capabilities: capabilities)
        ticker = HeartbeatTicker(slot: ev_side_heartbeat_ptr(region.side(side)), intervalNanoseconds: Self.heartbeatInterval,
                                 watch: PeerWatch(region: region, side: side))
    }

    /// Marks the side detached, drops this side's reference and gives the owner word back.
    /// Returns true when this was the last reference (the caller may unlink the name). Safe
    /// to call twice.
    @discardableResult
    func detach() -> Bool {
        let first = lock.withLock { detached -> Bool in
            defer { detached = true }
            return !detached
        }
        guard first else { return false }
        // The heartbeat stops first: a side that no longer beats must not look attached for long.
        ticker.stop()
        return SideClaim.release(region, side: side, me: me)
    }

    deinit { detach() }
}

/// A background thread that stores the monotonic clock into one word every interval, then
/// looks at the peer for this side's sleepers (`PeerWatch`).
final class HeartbeatTicker: @unchecked Sendable {
    // @unchecked: `slot` is written only by the ticker thread, with relaxed atomics;
    // `running` is an Atomic.
    private let slot: UnsafeMutablePointer<UInt64>
    private let interval: UInt64
    private let running = Atomic<Bool>(true)
    private var thread = pthread_t()
    private let watch: PeerWatch?

    init(slot: UnsafeMutablePointer<UInt64>, intervalNanoseconds: UInt64, watch: PeerWatch? = nil) {
        self.slot = slot
        self.interval = intervalNanoseconds
        self.watch = watch
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
            let now = ev_monotonic_ns()
            // Relaxed: a timestamp that publishes nothing else.
            ev_store_relaxed_u64(slot, now)
            watch?.tick(now: now)
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
