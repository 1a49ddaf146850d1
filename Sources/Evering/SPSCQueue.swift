import CEvering

/// The producing end of a single-producer/single-consumer queue in shared memory.
///
/// The producer owns `tail`; it reads the consumer's `head` only when its cached copy
/// says the queue is full, so in the common case a send touches no cache line the
/// consumer writes. One `QueueProducer` per queue per process: it keeps the authoritative
/// copy of `tail` locally.
///
///     if !producer.trySend(entry) { /* full: retry later, or call send(_:timeout:) */ }
public final class QueueProducer<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: a producer is used by one thread at a time (SPSC); handing it to
    // another thread is a transfer of ownership, not sharing.
    @usableFromInline let entries: UnsafeMutablePointer<Element>
    @usableFromInline let headPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let tailPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let fullStallsPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let capacity: UInt64
    @usableFromInline let mask: UInt64
    /// [0] our tail, [1] the consumer's head as last seen, [2] tail + 1 at the last counted
    /// full episode (0: none yet), so a new episode is counted only once the tail has moved,
    /// [3] the adaptive spin budget of waits for space (ns).
    @usableFromInline let local: UnsafeMutablePointer<UInt64>
    @usableFromInline let peer: PeerMonitor?
    /// The consumer's wait record (we wake it after publishing) and ours (we sleep on it
    /// while the queue is full).
    @usableFromInline let consumerWait: WaitRecord
    let producerWait: WaitRecord
    /// Nil for a queue without a peer side (benchmarks): its waits never sleep on the futex
    /// and its publishes wake nobody, so both ends of such a queue must be without one.
    let waits: WaitContext?
    /// The publish path's copy of what it needs from `waits`, as raw values: touching the
    /// class reference there would cost a retain and a release (two atomic ops) per publish.
    @usableFromInline let fence: PublishFence
    /// Names the queue in a `corruptPeer` error ("submission", "completion").
    @usableFromInline let queueName: String
    /// Kept alive so `entries` and the index pointers stay mapped.
    let owner: AnyObject

    /// - Parameters:
    ///   - block: the queue's control block (head, tail, counters).
    ///   - entries: the entry array; `capacity` elements.
    ///   - capacity: from the validated layout, never re-read from the shared block: a peer
    ///     that rewrote the block's capacity after validation would otherwise steer our
    ///     indices past the entry array.
    ///   - peer: consulted by blocking calls to notice a dead consumer; told when the consumer
    ///     publishes an impossible head, so those calls end with `corruptPeer`.
    ///   - queueName: names the queue in that error.
    ///   - waits: the side's wait context; with it, waits sleep on the futex when the peer
    ///     advertises `EV_CAP_WAKES_PEER`.
    public init(block: UnsafeMutablePointer<ev_queue>, entries: UnsafeMutableRawPointer, capacity: UInt32,
                owner: AnyObject, peer: PeerMonitor?, queueName: String = "shared", waits: WaitContext? = nil) {
        precondition(capacity >= 1 && capacity & (capacity &- 1) == 0, "queue capacity \(capacity) is not a power of two")
        precondition(MemoryLayout<Element>.stride == Int(block.pointee.entry_size) || block.pointee.entry_size == 0,
                     "element stride does not match the queue's entry size")
        self.entries = entries.assumingMemoryBound(to: Element.self)
        headPointer = ev_queue_head_ptr(block)
        tailPointer = ev_queue_tail_ptr(block)
        fullStallsPointer = ev_queue_full_stalls_ptr(block)
        self.capacity = UInt64(capacity)
        mask = UInt64(capacity) - 1
        local = .allocate(capacity: 4)
        // Relaxed: we are the only writer of tail, so our own last store is what we read.
        local[0] = ev_load_relaxed_u64(tailPointer)
        // Acquire pairs with the consumer's release store of head (entries before it are free).
        local[1] = ev_load_acquire_u64(headPointer)
        local[2] = 0
        local[3] = BlockingWaiter.maxSpinNanoseconds
        consumerWait = WaitRecord(ev_queue_consumer_wait_ptr(block))
        producerWait = WaitRecord(ev_queue_producer_wait_ptr(block))
        self.owner = owner
        self.peer = peer
        self.waits = waits
        fence = PublishFence(waits)
        self.queueName = queueName
        // A head already impossible at attach is not cached: the cache is set to "full" so
        // the first send reloads (and checks) the head before overwriting anything.
        if local[0] &- local[1] > UInt64(capacity) {
            PeerIndexCheck.report(peer: peer, queueName: queueName, field: "head", value: local[1],
                                  low: local[0] &- UInt64(capacity), high: local[0])
            local[1] = local[0] &- UInt64(capacity)
        }
    }

    deinit { local.deallocate() }

    /// For a control block this process initialised itself (benchmarks, tests): takes the
    /// capacity from the block. A mapped ring's ends use the validated layout's instead.
    public convenience init(block: UnsafeMutablePointer<ev_queue>, entries: UnsafeMutableRawPointer, owner: AnyObject,
                            peer: PeerMonitor?) {
        self.init(block: block, entries: entries, capacity: block.pointee.capacity, owner: owner, peer: peer)
    }

    /// Entries enqueued so far (the free-running tail).
    @inlinable public var enqueuedCount: UInt64 { local[0] }

    /// Appends one entry if there is room. Never blocks, never allocates.
    @inlinable @inline(__always)
    public func trySend(_ element: Element) -> Bool {
        let tail = local[0]
        if tail &- local[1] == capacity {
            if !reloadHead(tail: tail) { return false }
            if tail &- local[1] == capacity { noteFull(); return false }
        }
        entries[Int(truncatingIfNeeded: tail & mask)] = element
        local[0] = tail &+ 1
        // Release pairs with the consumer's acquire load of tail: the entry written
        // above is visible before the new tail is.
        ev_store_release_u64(tailPointer, tail &+ 1)
        wakeConsumer()
        return true
    }

    /// The waker's half of the wake-up protocol, once per publication.
    @inlinable @inline(__always)
    func wakeConsumer() {
        // Without a wait context nobody sleeps on this queue's futex words (both ends of
        // such a queue only poll): no protocol.
        guard fence.isActive else { return }
        // Orders our tail store before the load of the consumer's `sleeping` (pairs with
        // the consumer's fence, or membarrier, between announcing sleep and re-loading tail).
        fence.afterPublish()
        // Relaxed: ordered after our tail store by the fence above; 0 means the consumer's
        // re-check will see our tail. (The word is read through its pointer, not through a
        // copy of the whole record.)
        if ev_load_relaxed_u32(consumerWait.sleeping) != 0 { consumerWait.wake() }
    }

    /// Appends as many of `elements` as fit, with one publication; returns how many.
    @inlinable
    public func trySend(contentsOf elements: UnsafeBufferPointer<Element>) -> Int {
        let tail = local[0]
        var free = capacity &- (tail &- local[1])
        if free < UInt64(elements.count) {
            if !reloadHead(tail: tail) { return 0 }
            free = capacity &- (tail &- local[1])
        }
        let count = Int(min(free, UInt64(elements.count)))
        if count == 0 { if !elements.isEmpty { noteFull() }; return 0 }
        for i in 0..<count {
            entries[Int(truncatingIfNeeded: (tail &+ UInt64(i)) & mask)] = elements[i]
        }
        local[0] = tail &+ UInt64(count)
        // Release pairs with the consumer's acquire load of tail: all `count` entries are
        // visible before the tail that covers them.
        ev_store_release_u64(tailPointer, local[0])
        wakeConsumer()  // one fence per batch
        return count
    }

    /// Whether the queue has room now (re-loads the consumer's head, with the robustness
    /// checks of `reloadHead`: an impossible head reads as "full"). For waits only.
    func hasSpace() -> Bool {
        reloadHead(tail: local[0]) && local[0] &- local[1] < capacity
    }

    func makeWaiter(timeout: Duration?) -> BlockingWaiter {
        BlockingWaiter(timeout: timeout, peer: peer, sleepingOn: producerWait, context: waits, spinLimit: local + 3)
    }

    /// Appends one entry, waiting (spin, then yield, then sleep) while the queue is full.
    ///
    /// - Throws: `timedOut` after `timeout`; `peerDetached` within a heartbeat period (50 ms)
    ///   of the consumer detaching, `peerDead` within about 150 ms of it dying (its
    ///   heartbeat goes stale, then the kernel is asked; see `PeerWatch`).
    public func send(_ element: Element, timeout: Duration? = nil) throws(RingError) {
        if trySend(element) { return }
        var waiter = makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while !trySend(element) { try waiter.pause(until: hasSpace) }
    }

    /// Appends all of `elements`, waiting while the queue is full.
    public func send(contentsOf elements: UnsafeBufferPointer<Element>, timeout: Duration? = nil) throws(RingError) {
        var sent = trySend(contentsOf: elements)
        guard sent < elements.count else { return }
        var waiter = makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while sent < elements.count {
            let more = trySend(contentsOf: UnsafeBufferPointer(rebasing: elements[sent...]))
            if more == 0 { try waiter.pause(until: hasSpace) }
            sent += more
        }
    }

    /// Reloads the consumer's head into the cache (only when the cached copy says full),
    /// checked: see `PeerIndexCheck.reloadHead`.
    @inlinable @inline(__always)
    func reloadHead(tail: UInt64) -> Bool {
        PeerIndexCheck.reloadHead(headPointer, cache: local + 1, tail: tail, peer: peer, queueName: queueName)
    }

    /// Counts one full episode (not every retry), off the fast path: retries at the same
    /// tail belong to the episode already counted.
    @usableFromInline @inline(never)
    func noteFull() {
        guard local[2] != local[0] &+ 1 else { return }
        local[2] = local[0] &+ 1
        // Relaxed: a statistic for inspectors; it orders nothing.
        _ = ev_fetch_add_relaxed_u64(fullStallsPointer, 1)
    }
}

/// The consuming end of a single-producer/single-consumer queue in shared memory.
/// Mirrors `QueueProducer`: owns `head`, reads `tail` only when its cache says empty.
public final class QueueConsumer<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: one consumer thread at a time (SPSC), as for QueueProducer.
    @usableFromInline let entries: UnsafeMutablePointer<Element>
    @usableFromInline let headPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let tailPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let emptyWaitsPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let mask: UInt64
    /// [0] our head, [1] the producer's tail as last seen, [2] the adaptive spin budget
    /// of waits for entries (ns).
    @usableFromInline let local: UnsafeMutablePointer<UInt64>
    @usableFromInline let peer: PeerMonitor?
    /// Ours (we sleep on it while empty) and the producer's (we wake it after freeing space).
    let consumerWait: WaitRecord
    @usableFromInline let producerWait: WaitRecord
    let waits: WaitContext?
    /// As in `QueueProducer`.
    @usableFromInline let fence: PublishFence
    @usableFromInline let queueName: String
    let owner: AnyObject

    /// - Parameters:
    ///   - capacity: from the validated layout, as for `QueueProducer`.
    ///   - peer, queueName: as for `QueueProducer` (here the producer's tail is checked).
    ///   - waits: as for `QueueProducer`.
    public init(block: UnsafeMutablePointer<ev_queue>, entries: UnsafeMutableRawPointer, capacity: UInt32,
                owner: AnyObject, peer: PeerMonitor?, queueName: String = "shared", waits: WaitContext? = nil) {
        precondition(capacity >= 1 && capacity & (capacity &- 1) == 0, "queue capacity \(capacity) is not a power of two")
        precondition(MemoryLayout<Element>.stride == Int(block.pointee.entry_size) || block.pointee.entry_size == 0,
                     "element stride does not match the queue's entry size")
        self.entries = entries.assumingMemoryBound(to: Element.self)
        headPointer = ev_queue_head_ptr(block)
        tailPointer = ev_queue_tail_ptr(block)
        emptyWaitsPointer = ev_queue_empty_waits_ptr(block)
        mask = UInt64(capacity) - 1
        local = .allocate(capacity: 3)
        // Relaxed: we are the only writer of head.
        local[0] = ev_load_relaxed_u64(headPointer)
        // Acquire pairs with the producer's release store of tail (entries before it are written).
        local[1] = ev_load_acquire_u64(tailPointer)
        local[2] = BlockingWaiter.maxSpinNanoseconds
        consumerWait = WaitRecord(ev_queue_consumer_wait_ptr(block))
        producerWait = WaitRecord(ev_queue_producer_wait_ptr(block))
        self.owner = owner
        self.peer = peer
        self.waits = waits
        fence = PublishFence(waits)
        self.queueName = queueName
        // A tail already impossible at attach is not cached (it would read as entries).
        if local[1] &- local[0] > UInt64(capacity) {
            PeerIndexCheck.report(peer: peer, queueName: queueName, field: "tail", value: local[1],
                                  low: local[0], high: local[0] &+ UInt64(capacity))
            local[1] = local[0]
        }
    }

    deinit { local.deallocate() }

    /// For a control block this process initialised itself (benchmarks, tests): takes the
    /// capacity from the block. A mapped ring's ends use the validated layout's instead.
    public convenience init(block: UnsafeMutablePointer<ev_queue>, entries: UnsafeMutableRawPointer, owner: AnyObject,
                            peer: PeerMonitor?) {
        self.init(block: block, entries: entries, capacity: block.pointee.capacity, owner: owner, peer: peer)
    }

    /// Entries dequeued so far (the free-running head).
    @inlinable public var dequeuedCount: UInt64 { local[0] }

    /// Takes one entry if there is one. Never blocks, never allocates.
    @inlinable @inline(__always)
    public func tryReceive() -> Element? {
        let head = local[0]
        if head == local[1] {
            if !reloadTail(head: head) { return nil }
            if head == local[1] { return nil }
        }
        let element = entries[Int(truncatingIfNeeded: head & mask)]
        local[0] = head &+ 1
        // Release pairs with the producer's acquire load of head: our read of the entry
        // above completes before the producer may overwrite it.
        ev_store_release_u64(headPointer, head &+ 1)
        wakeProducer()
        return element
    }

    /// The waker's half of the wake-up protocol for a producer waiting for space.
    @inlinable @inline(__always)
    func wakeProducer() {
        guard fence.isActive else { return }  // as in QueueProducer.wakeConsumer
        // Orders our head store before the load of the producer's `sleeping` (pairs with
        // the producer's fence, or membarrier, between announcing sleep and re-loading head).
        fence.afterPublish()
        // Relaxed: as in QueueProducer.wakeConsumer.
        if ev_load_relaxed_u32(producerWait.sleeping) != 0 { producerWait.wake() }
    }

    /// Whether an entry is waiting now (re-loads the producer's tail, with the robustness
    /// checks of `reloadTail`: an impossible tail reads as "empty"). For waits only.
    func hasEntries() -> Bool {
        reloadTail(head: local[0]) && local[1] != local[0]
    }

    func makeWaiter(timeout: Duration?) -> BlockingWaiter {
        BlockingWaiter(timeout: timeout, peer: peer, sleepingOn: consumerWait, context: waits, spinLimit: local + 2)
    }

    /// Takes up to `buffer.count` entries with one publication; returns how many.
    @inlinable
    public func tryReceive(into buffer: UnsafeMutableBufferPointer<Element>) -> Int {
        let head = local[0]
        var available = local[1] &- head
        if available < UInt64(buffer.count) {
            if !reloadTail(head: head) { return 0 }
            available = local[1] &- head
        }
        let count = Int(min(available, UInt64(buffer.count)))
        if count == 0 { return 0 }
        for i in 0..<count {
            buffer[i] = entries[Int(truncatingIfNeeded: (head &+ UInt64(i)) & mask)]
        }
        local[0] = head &+ UInt64(count)
        // Release pairs with the producer's acquire load of head, as in tryReceive().
        ev_store_release_u64(headPointer, local[0])
        wakeProducer()  // one fence per batch
        return count
    }

    /// Takes one entry, waiting (spin, yield, sleep) while the queue is empty.
    ///
    /// - Throws: `timedOut`; `peerDead`/`peerDetached` when the producer is gone and
    ///   the queue is drained.
    public func receive(timeout: Duration? = nil) throws(RingError) -> Element {
        if let element = tryReceive() { return element }
        noteEmptyWait()
        var waiter = makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while true {
            if let element = tryReceive() { return element }
            do { try waiter.pause(until: hasEntries) } catch {
                // The producer's detach (or death) comes after its last publish: one more
                // look finds anything it sent before leaving.
                if let element = tryReceive() { return element }
                throw error
            }
        }
    }

    /// Takes at least one and up to `buffer.count` entries, waiting while empty.
    public func receive(into buffer: UnsafeMutableBufferPointer<Element>, timeout: Duration? = nil) throws(RingError) -> Int {
        let count = tryReceive(into: buffer)
        if count > 0 || buffer.isEmpty { return count }
        noteEmptyWait()
        var waiter = makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while true {
            let count = tryReceive(into: buffer)
            if count > 0 { return count }
            do { try waiter.pause(until: hasEntries) } catch {
                // As in receive(timeout:): entries published before the producer left.
                let count = tryReceive(into: buffer)
                if count > 0 { return count }
                throw error
            }
        }
    }

    /// Waits, with the wake-up protocol, until the queue has an entry; takes nothing.
    /// `giveUp` is asked after every wake-up or capped wait and ends the wait with
    /// `stopRequested` when it says so (a closing `AsyncCompletionWaiter`).
    package func waitUntilNotEmpty(timeout: Duration?, giveUp: () -> Bool = { false }) throws(RingError) {
        if hasEntries() { return }
        var waiter = makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while !hasEntries() {
            try waiter.pause(until: hasEntries)
            if giveUp() { throw .stopRequested }
        }
    }

    /// Reloads the producer's tail into the cache (only when the cached copy says empty, or
    /// too few for a batch), checked: see `PeerIndexCheck.reloadTail`.
    @inlinable @inline(__always)
    func reloadTail(head: UInt64) -> Bool {
        PeerIndexCheck.reloadTail(tailPointer, cache: local + 1, head: head, capacity: mask &+ 1, peer: peer, queueName: queueName)
    }

    @usableFromInline @inline(never)
    func noteEmptyWait() {
        // Relaxed: a statistic for inspectors; it orders nothing.
        _ = ev_fetch_add_relaxed_u64(emptyWaitsPointer, 1)
    }
}

/// The checks on an index read from the peer (docs/ABI.md "Robustness rules"), out of line
/// and outside the generic queue classes: a reload is a cross-core cache miss anyway, and the
/// inlined send/receive fast paths keep the size they had without the checks. A value that
/// breaks the rules is never cached; it is reported to the side's `PeerMonitor`, which ends
/// the blocking calls with `corruptPeer`, and the caller sees "full" or "empty".
@usableFromInline
enum PeerIndexCheck {
    /// The consumer's head may only move forward from the last value seen, and never past
    /// our tail: `seen <= head <= tail` (mod 2^64).
    @usableFromInline @inline(never)
    static func reloadHead(_ headPointer: UnsafeMutablePointer<UInt64>, cache: UnsafeMutablePointer<UInt64>, tail: UInt64,
                           peer: PeerMonitor?, queueName: String) -> Bool {
        // Acquire pairs with the consumer's release store of head: the slots it frees
        // have been read, so overwriting them is safe.
        let head = ev_load_acquire_u64(headPointer)
        let seen = cache.pointee
        // One unsigned compare covers both rules.
        if head &- seen > tail &- seen {
            report(peer: peer, queueName: queueName, field: "head", value: head, low: seen, high: tail)
            return false
        }
        cache.pointee = head
        return true
    }

    /// The producer's tail may only move forward from the last value seen, and at most a
    /// capacity ahead of our head: `seen <= tail <= head + capacity` (mod 2^64).
    @usableFromInline @inline(never)
    static func reloadTail(_ tailPointer: UnsafeMutablePointer<UInt64>, cache: UnsafeMutablePointer<UInt64>, head: UInt64,
                           capacity: UInt64, peer: PeerMonitor?, queueName: String) -> Bool {
        // Acquire pairs with the producer's release store of tail: entries below the
        // tail we read are fully written.
        let tail = ev_load_acquire_u64(tailPointer)
        let seen = cache.pointee
        if tail &- seen > head &+ capacity &- seen {
            report(peer: peer, queueName: queueName, field: "tail", value: tail, low: seen, high: head &+ capacity)
            return false
        }
        cache.pointee = tail
        return true
    }

    static func report(peer: PeerMonitor?, queueName: String, field: String, value: UInt64, low: UInt64, high: UInt64) {
        peer?.reportCorruption(.corruptPeer(queue: queueName, field: field, writer: peer?.side, value: value, low: low, high: high))
    }
}
