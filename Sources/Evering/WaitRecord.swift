import CEvering
import Synchronization

/// One `ev_waiter` record of a queue block: the consumer waiting for entries, or the
/// producer waiting for space (docs/ABI.md "Wake-ups (futex)"). The waiter writes
/// `sleeping` (1) and its statistics; the other side exchanges `sleeping` back to 0 and
/// calls FUTEX_WAKE. Pointers come from the C struct, never from Swift offset arithmetic.
@usableFromInline
struct WaitRecord: @unchecked Sendable {
    // @unchecked: pointers into the shared mapping, accessed only through the ABI's atomics.
    @usableFromInline let sleeping: UnsafeMutablePointer<UInt32>
    let since: UnsafeMutablePointer<UInt64>
    /// 1 + the CPU the waiter last announced sleep on (0: unknown).
    let cpu: UnsafeMutablePointer<UInt32>
    let wakes: UnsafeMutablePointer<UInt64>
    let lateWakes: UnsafeMutablePointer<UInt64>

    init(_ record: UnsafeMutablePointer<ev_waiter>) {
        sleeping = ev_waiter_sleeping_ptr(record)
        since = ev_waiter_since_ptr(record)
        cpu = ev_waiter_cpu_ptr(record)
        wakes = ev_waiter_wakes_ptr(record)
        lateWakes = ev_waiter_late_wakes_ptr(record)
    }

    /// The waker's half, after the caller published its index (a release store), ordered
    /// it before the load of `sleeping` (`PublishFence`), and found `sleeping` set. No
    /// system call unless the waiter announced sleep.
    @usableFromInline @inline(never)
    func wake() {
        // acq_rel exchange: only the waker that takes 1 -> 0 pays for FUTEX_WAKE, so a
        // sleeper costs one wake, not one per publish (ordering: see ev_exchange_acq_rel_u32).
        guard ev_exchange_acq_rel_u32(sleeping, EV_AWAKE.rawValue) == EV_SLEEPING.rawValue else { return }
        SystemCalls.futexWake(sleeping)
        // Relaxed: a statistic for inspectors.
        _ = ev_fetch_add_relaxed_u64(wakes, 1)
    }

    /// Whether the waiter is asleep on the futex right now. Relaxed: a hint for spinning.
    var isAsleep: Bool { ev_load_relaxed_u32(sleeping) != 0 }

    /// In a wait episode past its spin (`since_ns` set): asleep, about to sleep, or woken
    /// and not yet back at work. Relaxed: a hint for spinning.
    var isInEpisode: Bool { ev_load_relaxed_u64(since) != 0 }

    /// The CPU it last slept on, if it said. Relaxed: a hint for spinning.
    var lastSleepCPU: Int32? {
        let value = ev_load_relaxed_u32(cpu)
        return value == 0 ? nil : Int32(bitPattern: value &- 1)
    }
}

/// What the two queue ends of one side (a `Requester` or a `Responder`) share when they
/// wait: the peer's block (does it wake us? is it alive?) and the peer's two wait records
/// (is it asleep? where did it sleep?).
///
/// Spinning pays only while the peer runs on *another* CPU. A peer we just woke is placed
/// by the kernel on the CPU it slept on when that one is idle, often on ours otherwise; if
/// that is ours, our spin keeps it from running (NOTES.md: a 50 µs spin made the 1,000
/// ops/s round trip ten times slower). So we spin only when neither of the peer's waiters
/// is asleep and the CPU it last slept on is not the one we are on.
public final class WaitContext: @unchecked Sendable {
    // @unchecked: immutable pointers into the mapping, read with relaxed atomics.
    let peer: PeerMonitor
    let peerRecords: (WaitRecord, WaitRecord)
    /// The peer's `ev_side.capabilities` word.
    let peerCapabilities: UnsafeMutablePointer<UInt32>
    /// This process registered for global expedited membarrier (so a peer's membarrier
    /// reaches our CPUs).
    let registeredForMembarrier: Bool
    /// Our side advertises EV_CAP_SLEEP_MEMBARRIER: our sleeps must issue membarrier.
    let sleepsWithMembarrier: Bool
    let owner: AnyObject

    /// - Parameters:
    ///   - peerWaits: the peer's two wait records: its consumer wait on the queue it
    ///     consumes and its producer wait on the queue it produces into.
    ///   - ownCapabilities: what our side advertised at attach.
    init(peer: PeerMonitor, peerWaits: (UnsafeMutablePointer<ev_waiter>, UnsafeMutablePointer<ev_waiter>),
         ownCapabilities: UInt32, owner: AnyObject) {
        self.peer = peer
        peerRecords = (WaitRecord(peerWaits.0), WaitRecord(peerWaits.1))
        peerCapabilities = ev_side_capabilities_ptr(peer.block)
        // Only if this process registered already: registering here would cost every
        // attach an RCU grace period (see `processRegisteredForMembarrier`).
        registeredForMembarrier = processAlreadyRegisteredForMembarrier
        sleepsWithMembarrier = ownCapabilities & EV_CAP_SLEEP_MEMBARRIER.rawValue != 0
        self.owner = owner
    }

    /// Whether the waker may publish without its seq_cst fence: the peer, when it goes to
    /// sleep, issues membarrier(GLOBAL_EXPEDITED), which runs a full barrier on our CPU
    /// (we are registered) between our index store and our load of its `sleeping` word.
    /// Relaxed load: the capability is written before the peer's release of ATTACHED,
    /// and a peer sleeps only after attaching; a stale read around a re-attach can cost
    /// one late wake-up (bounded by the 100 ms futex timeout, and counted in late_wakes).
    var peerSleepsWithMembarrier: Bool {
        registeredForMembarrier && ev_load_relaxed_u32(peerCapabilities) & EV_CAP_SLEEP_MEMBARRIER.rawValue != 0
    }

    /// The peer is asleep on one of its futex words (cheap: two relaxed loads).
    var peerIsAsleep: Bool { peerRecords.0.isAsleep || peerRecords.1.isAsleep }

    /// False while the peer is asleep on a futex that nobody has woken yet (it produces
    /// nothing until it is woken), or while it was woken but has not run yet (its wait
    /// episode is still open) and it slept on the CPU we are running on: the kernel likely
    /// queued it behind us. A peer outside any wait episode is running, hence on another
    /// CPU, whatever its stale hint says.
    var peerSeemsRunning: Bool {
        if peerRecords.0.isAsleep || peerRecords.1.isAsleep { return false }
        let pending0 = peerRecords.0.isInEpisode, pending1 = peerRecords.1.isInEpisode
        guard pending0 || pending1 else { return true }
        let here = ev_current_cpu()
        guard here >= 0 else { return true }
        return !(pending0 && peerRecords.0.lastSleepCPU == here) && !(pending1 && peerRecords.1.lastSleepCPU == here)
    }
}

/// The waker's fence after publishing an index, as plain values (no class reference on
/// the publish path). Inactive for queue ends without a `WaitContext`.
@usableFromInline
struct PublishFence: @unchecked Sendable {
    // @unchecked: a pointer into the mapping, read with a relaxed atomic.
    @usableFromInline let peerCapabilities: UnsafeMutablePointer<UInt32>?
    @usableFromInline let registeredForMembarrier: Bool

    init(_ waits: WaitContext?) {
        peerCapabilities = waits?.peerCapabilities
        registeredForMembarrier = waits?.registeredForMembarrier ?? false
    }

    @inlinable var isActive: Bool { peerCapabilities != nil }

    /// A seq_cst fence, or only a compiler barrier when the peer sleeps with membarrier
    /// (see `WaitContext.peerSleepsWithMembarrier` for the ordering argument).
    @inlinable @inline(__always)
    func afterPublish() {
        if registeredForMembarrier, let caps = peerCapabilities,
           ev_load_relaxed_u32(caps) & EV_CAP_SLEEP_MEMBARRIER.rawValue != 0 {  // Relaxed: see WaitContext.peerSleepsWithMembarrier.
            ev_compiler_barrier()
        } else {
            ev_fence_seq_cst()
        }
    }
}

/// Set once `processRegisteredForMembarrier` has registered this process.
private let membarrierRegistered = Atomic<Bool>(false)

/// Registers this process for global expedited membarrier, once, on first use (a lazily
/// initialised global), so that a peer sleeping with membarrier interrupts our CPUs and our
/// wakers may skip their fence for it. Only on request (`SideCapability.oursWithSleepMembarrier`):
/// in a process that already has threads the kernel's registration waits for an RCU grace
/// period (`synchronize_rcu` in `sync_runqueues_membarrier_state`), 10–14 ms here; done at
/// every attach, it delayed each side's first op by that much (the first op of
/// `load --count 1` took 10–14 ms over the ring against 0.3–0.45 ms over a Unix socket).
/// Not registering is always safe: a waker that is not registered fences.
let processRegisteredForMembarrier: Bool = {
    let registered = SystemCalls.registerForGlobalMembarrier()
    // Release: pairs with the acquire in `processAlreadyRegisteredForMembarrier`.
    if registered { membarrierRegistered.store(true, ordering: .releasing) }
    return registered
}()

/// Whether this process has registered (without registering it).
var processAlreadyRegisteredForMembarrier: Bool {
    // Acquire: pairs with the release above; a stale false only costs a fence per publish.
    membarrierRegistered.load(ordering: .acquiring)
}

extension SideCapability {
    /// What this library's sides advertise by default: they wake their peer. Not
    /// `EV_CAP_SLEEP_MEMBARRIER`: measured here, the membarrier a sleeper issues
    /// interrupts a peer that is busy answering it (an IPI, a VM exit) and added 3–4 µs to
    /// the 1,000 ops/s round trip, while the fence it saves the waker costs ~7 ns per
    /// publish, once per batch (docs/benchmarks/wakeup-notes.md). A process that registered
    /// (`oursWithSleepMembarrier`) skips its wakers' fence for a peer that advertises it.
    static var ours: UInt32 { EV_CAP_WAKES_PEER.rawValue }

    /// `ours` plus `EV_CAP_SLEEP_MEMBARRIER` where the kernel offers it (tests, and
    /// processes that publish one entry at a time at very high rates).
    package static var oursWithSleepMembarrier: UInt32 {
        ours | (processRegisteredForMembarrier ? EV_CAP_SLEEP_MEMBARRIER.rawValue : 0)
    }
}
