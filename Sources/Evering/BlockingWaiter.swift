#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// Every blocking call's wait: the futex wake-up protocol when the peer advertises
/// `EV_CAP_WAKES_PEER` (docs/ABI.md "Wake-ups (futex)"), otherwise 1.0's `Backoff` (spin,
/// yield, sleep ≤ 256 µs); in both, the deadline, a stop request and a look at the peer
/// (every 100 ms while awake; a futex sleeper is woken by its heartbeat thread when the
/// peer goes, see `PeerWatch`).
///
///     var waiter = BlockingWaiter(timeout: timeout, peer: peer, sleepingOn: record, context: context, spinLimit: limit)
///     defer { waiter.finish() }
///     while !tryTake() { try waiter.pause(until: { hasSomething }) }
struct BlockingWaiter {
    private var backoff = Backoff()
    private var pauses = 0
    private let deadline: UInt64?
    private var nextPeerCheck: UInt64
    private let peer: PeerMonitor?
    private let own: WaitRecord?
    private let context: WaitContext?
    /// This queue end's adaptive spin budget (ns), kept across calls; nil: never spin.
    private let spinLimit: UnsafeMutablePointer<UInt64>?
    private let start: UInt64
    private var spun = false
    /// The wait ended during the spin (the budget was worth it).
    private var spinSucceeded = false
    /// A futex sleep (or backoff pause) happened in this episode.
    private var slept = false
    private var announcedSince = false

    static let peerCheckInterval: UInt64 = 100_000_000
    /// The longest single FUTEX_WAIT. Shorter waits are not needed to notice things: the
    /// deadline is part of the timeout, a stop request clears and wakes our word, and so does
    /// our heartbeat thread when the peer detaches or dies (`PeerWatch`). This is the backstop
    /// for a peer that breaks the protocol, and its cost while idle: one wake-up a second.
    /// A variable only so that a test can take the backstop away and prove who ends a sleep.
    nonisolated(unsafe) static var maxSleepNanoseconds: UInt64 = 1_000_000_000
    /// The most a waiter spins before it sleeps on the futex. Adapted per queue end
    /// between `minSpinNanoseconds` and this (see `finish`). 20 µs: NOTES.md's C prototype
    /// kept the 100,000 ops/s round trip at 0.2 µs with it, and a peer queued behind our
    /// spin on our own CPU loses at most this much (docs/benchmarks/wakeup-notes.md).
    static let maxSpinNanoseconds: UInt64 = 20_000
    /// The least spin kept after long waits, so that a rate change is noticed; at 10,000
    /// waits per second it costs 2% of a core.
    static let minSpinNanoseconds: UInt64 = 2_000
    /// PAUSE iterations between two looks at the clock while spinning.
    static let pausesPerClockRead = 16

    /// A wait without a futex (the slot-free wait of `submit`: no index to sleep on).
    init(timeout: Duration?, peer: PeerMonitor?) {
        self.init(timeout: timeout, peer: peer, sleepingOn: nil, context: nil, spinLimit: nil)
    }

    init(timeout: Duration?, peer: PeerMonitor?, sleepingOn own: WaitRecord?, context: WaitContext?,
         spinLimit: UnsafeMutablePointer<UInt64>?) {
        let now = ev_monotonic_ns()
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            // A timeout beyond Int64 nanoseconds (~292 years) is no deadline, not an overflow trap.
            let (wholeNanos, overflow) = max(0, seconds).multipliedReportingOverflow(by: 1_000_000_000)
            deadline = overflow ? nil : now &+ UInt64(wholeNanos) &+ UInt64(max(0, attoseconds) / 1_000_000_000)
        } else {
            deadline = nil
        }
        nextPeerCheck = now &+ Self.peerCheckInterval
        self.peer = peer
        self.own = own
        self.context = context
        self.spinLimit = spinLimit
        start = now
    }

    /// Waits a little (without a condition: the backoff only).
    mutating func pause() throws(RingError) { try pause(until: { false }) }

    /// Waits until `ready` might hold, or a bit. `ready` re-loads the peer's index
    /// (acquire) without taking anything; the caller retries its operation after.
    ///
    /// - Throws: `timedOut`, `stopRequested`, or the peer's death or departure.
    mutating func pause(until ready: () -> Bool) throws(RingError) {
        if let own, let context, context.peer.wakesUs {
            try sleep(on: own, context: context, until: ready)
            return
        }
        backoff.pause()
        pauses &+= 1
        if backoff.isSpinning && pauses & 63 != 0 { return }  // while spinning, read the clock every 64th pause
        try check(now: ev_monotonic_ns())
    }

    /// The sleeper's half of the protocol (docs/ABI.md, steps 1–6).
    private mutating func sleep(on own: WaitRecord, context: WaitContext, until ready: () -> Bool) throws(RingError) {
        // 1. Spin, once per episode, unless the peer is asleep itself (then it produces
        //    nothing until someone wakes it). PAUSE only, never sched_yield: with a
        //    CPU-bound process on our core a yield hands it a whole slice (milliseconds).
        //    The budget adapts (see `finish`): a spin that fails halves it, so when the
        //    peer we woke is queued behind us on our own CPU (NOTES.md) we soon stop
        //    delaying it.
        if !spun, let spinLimit {
            spun = true
            let limit = spinLimit.pointee
            // One episode in 16 (by the clock's low bits) spins on evidence, not the hint:
            // two sides that both fell asleep each see the other "woken, on my CPU" and
            // would never spin again; one caught message gets them both spinning.
            let probe = (start >> 10) & 15 == 0 && !context.peerIsAsleep
            if limit > 0 && (probe || context.peerSeemsRunning) {
                let until = start &+ limit
                repeat {
                    for _ in 0..<Self.pausesPerClockRead { ev_cpu_relax() }
                    if ready() { spinSucceeded = true; return }
                } while ev_monotonic_ns() < until && !context.peerIsAsleep
            }
        }
        // 2. Mark the episode, once, only now that spinning is over: this line of the queue
        //    block is read by the other side on every publish, so a side that only spins
        //    must not write it.
        if !announcedSince {
            announcedSince = true
            // Relaxed: an inspector's statistic (start of this wait episode); it orders nothing.
            ev_store_relaxed_u64(own.since, start)
        }
        // 3. Announce, then a full fence: pairs with the waker's fence between its index
        //    store and its load of `sleeping` (store-buffering: one of us sees the other).
        let cpu = ev_current_cpu()
        // Relaxed: a hint for the peer's spin decision, ordering nothing.
        ev_store_relaxed_u32(own.cpu, cpu >= 0 ? UInt32(cpu) &+ 1 : 0)
        ev_store_relaxed_u32(own.sleeping, EV_SLEEPING.rawValue)  // Relaxed: ordered by the fence below.
        ev_fence_seq_cst()
        // If our side advertises EV_CAP_SLEEP_MEMBARRIER, our peer may publish without a
        // fence, and this barrier on its CPUs is what orders its index store before its
        // load of our word. Should it fail, we must not sleep on the futex.
        if context.sleepsWithMembarrier && !SystemCalls.globalMembarrier() {
            ev_store_relaxed_u32(own.sleeping, EV_AWAKE.rawValue)  // Relaxed: we are awake.
            backoff.pause()
            try check(now: ev_monotonic_ns())
            return
        }
        // 4. Re-check: an index published before our announcement is seen here.
        if ready() {
            ev_store_relaxed_u32(own.sleeping, EV_AWAKE.rawValue)  // Relaxed: only the futex reads it; we are awake.
            return
        }
        // 5. Sleep until woken, the deadline, or the 1 s backstop.
        slept = true
        var now = ev_monotonic_ns()
        var timeout = Self.maxSleepNanoseconds
        if let deadline { timeout = min(timeout, deadline > now ? deadline &- now : 1_000) }
        let entry = ev_sleeper_register(own.sleeping)
        // Seq_cst fence between registering the word and loading the stop flag: pairs with
        // StopRequest.request()'s seq_cst store before it reads the table.
        ev_fence_seq_cst()
        let outcome: SystemCalls.FutexWaitOutcome =
            StopRequest.isRequested ? .interrupted : SystemCalls.futexWait(own.sleeping, expecting: EV_SLEEPING.rawValue, timeoutNanoseconds: timeout)
        ev_sleeper_unregister(entry)
        // 6. Awake again (the waker may have stored 0 already; storing it again is harmless).
        ev_store_relaxed_u32(own.sleeping, EV_AWAKE.rawValue)  // Relaxed: as in step 4.
        if ready() {
            if outcome == .timedOut {
                // The condition held and nobody woke us: a lost (or very late) wake-up.
                _ = ev_fetch_add_relaxed_u64(own.lateWakes, 1)  // Relaxed: a statistic.
            }
            // Straight back to the caller: the peer check (a /proc read, tens of µs here)
            // and the deadline matter only while there is nothing to take.
            return
        }
        // Woken with nothing to take: the backstop timeout, a stop request, or our heartbeat
        // thread telling us the peer is gone. Look at the peer now rather than at the next
        // 100 ms mark (rare: a producer's wake always comes with an entry).
        now = ev_monotonic_ns()
        nextPeerCheck = now
        try check(now: now)
    }

    /// Stop request, the peer (every 100 ms, and before giving up at the deadline: a
    /// caller that waits in slices shorter than 100 ms must still learn the peer left),
    /// then the deadline.
    private mutating func check(now: UInt64) throws(RingError) {
        if StopRequest.isRequested { throw .stopRequested }
        let pastDeadline = deadline.map { now >= $0 } ?? false
        if now >= nextPeerCheck || pastDeadline {
            nextPeerCheck = now &+ Self.peerCheckInterval
            try peer?.check()
        }
        if pastDeadline { throw .timedOut }
    }

    /// Ends the wait episode: clears `since_ns` and adapts the spin budget to how long
    /// the wait took: a wait that ended within `maxSpinNanoseconds` (during the spin, or
    /// soon after it had to sleep) sets the budget to twice its length, so the next one
    /// is caught spinning; a longer one halves it, down to `minSpinNanoseconds`. Growing
    /// after a short sleep is what lets two sides that both went to sleep get back to
    /// spinning at a high rate; the cap bounds what a spin can cost a peer queued behind
    /// us on our own CPU.
    /// - Parameter progress: whether the wait ended with what it waited for.
    func finish(progress: Bool = true) {
        if announcedSince, let own {
            ev_store_relaxed_u64(own.since, 0)  // Relaxed: an inspector's statistic.
        }
        guard progress, let spinLimit, spun || slept else { return }
        let waited = ev_monotonic_ns() &- start
        if spinSucceeded {
            spinLimit.pointee = min(Self.maxSpinNanoseconds, max(spinLimit.pointee, 2 &* waited))
        } else if waited <= Self.maxSpinNanoseconds {
            spinLimit.pointee = min(Self.maxSpinNanoseconds, max(2 &* waited, Self.minSpinNanoseconds))
        } else {
            spinLimit.pointee = max(spinLimit.pointee / 2, Self.minSpinNanoseconds)
        }
    }
}
