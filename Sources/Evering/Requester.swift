import CEvering

/// The requester side of a ring: owns the driver, produces submissions, consumes
/// completions.
///
///     let requester = try Requester.create("evering-demo")
///     let op = try requester.submit(opcode: 1, length: 5) { buffer in
///         buffer.copyBytes(from: "hello".utf8)
///     }
///     let completion = try requester.wait(for: op, timeout: .seconds(1))
///     requester.release(op)
public final class Requester: @unchecked Sendable {
    // @unchecked: one thread drives a requester at a time (it is SPSC on both queues).
    public let region: SharedRegion
    public let submissions: QueueProducer<ev_entry>
    public let completions: QueueConsumer<ev_entry>
    public let driver: Driver
    /// The responder's liveness, and whether it published an impossible index (`corruptPeer`):
    /// what every blocking call of this side consults, and what a polling caller checks.
    public let peer: PeerMonitor
    let attachment: SideAttachment

    init(region: SharedRegion, capabilities: UInt32 = SideCapability.ours) throws(RingError) {
        self.region = region
        // The driver writes slots under their seqlock (EV_CAP_SLOT_SEQ); our queue ends wake
        // the responder when it sleeps (EV_CAP_WAKES_PEER).
        let capabilities = capabilities | EV_CAP_SLOT_SEQ.rawValue
        attachment = try SideAttachment(region: region, side: .requester, capabilities: capabilities)
        peer = PeerMonitor(region: region, side: .responder)
        let layout = region.layout
        let sq = region.queueBlock(layout.submission), cq = region.queueBlock(layout.completion)
        // The responder waits as the submission queue's consumer and the completion queue's producer.
        let waits = WaitContext(peer: peer, peerWaits: (ev_queue_consumer_wait_ptr(sq), ev_queue_producer_wait_ptr(cq)),
                                ownCapabilities: capabilities, owner: region)
        submissions = QueueProducer(block: sq, entries: UnsafeMutableRawPointer(region.entries(layout.submission)),
                                    capacity: layout.submission.capacity, owner: region, peer: peer,
                                    queueName: "submission", waits: waits)
        completions = QueueConsumer(block: cq, entries: UnsafeMutableRawPointer(region.entries(layout.completion)),
                                    capacity: layout.completion.capacity, owner: region, peer: peer,
                                    queueName: "completion", waits: waits)
        // Recovery (docs/ABI.md): slots left in use belong to a previous requester's run.
        let responderGone = (try? peer.check()) == nil
            || region.sideInfo(.responder).state != .attached
        driver = Driver(region: region, responderGone: responderGone,
                        queuedSlots: responderGone ? Self.queuedRequests(region) : [])
    }

    /// The ops whose requests sit in the submission queue (we are its producer; with no
    /// responder attached nobody moves its head). Empty if the indices are impossible.
    static func queuedRequests(_ region: SharedRegion) -> Set<OpID> {
        let queue = region.queueIndices(.submission)
        guard queue.used <= UInt64(queue.capacity) else { return [] }
        var ops = Set<OpID>()
        let entries = region.entries(region.layout.submission)
        var position = queue.head
        while position != queue.tail {
            ops.insert(OpID(rawValue: entries[Int(truncatingIfNeeded: position & region.layout.submission.mask)].op_id))
            position &+= 1
        }
        return ops
    }

    /// Creates a new ring named `name` and attaches to it as the requester.
    public static func create(_ name: RingName, configuration: RingConfiguration = .init()) throws(RingError) -> Requester {
        let region = try SharedRegion.create(name, configuration: configuration)
        do { return try Requester(region: region) } catch {
            try? SystemCalls.shmUnlink(name)
            throw error
        }
    }

    /// Attaches as the requester of an existing ring (made by a responder, or left by a
    /// requester that exited).
    public static func open(_ name: RingName) throws(RingError) -> Requester {
        try Requester(region: try SharedRegion.open(name, writable: true))
    }

    /// Bytes a payload may have.
    public var bufferSize: Int { Int(region.layout.bufferSize) }

    /// Allocates a slot, lets `fill` write the request payload into the slot's buffer,
    /// and publishes the request. Returns nil when no slot is free or the submission
    /// queue is full (the slot is then given back).
    @inlinable
    public func trySubmit(opcode: UInt16, length: Int, userData: UInt64 = 0,
                          fill: (UnsafeMutableRawBufferPointer) -> Void = { _ in }) -> OpID? {
        guard let entry = stage(opcode: opcode, length: length, userData: userData, fill: fill) else { return nil }
        let op = OpID(rawValue: entry.op_id)
        if submissions.trySend(entry) { return op }
        driver.abandon(op)
        return nil
    }

    /// The batched fast path under `trySubmit`: allocates a slot, lets `fill` write the
    /// payload, and returns the submission entry *unpublished* (nil when no slot is free).
    /// Publish entries with `submissions.trySend(contentsOf:)` — one tail store and one
    /// wake-up check for the batch — and give back the slots of any that cannot be
    /// published with `abandon`.
    @inlinable
    package func stage(opcode: UInt16, length: Int, userData: UInt64,
                       fill: (UnsafeMutableRawBufferPointer) -> Void) -> ev_entry? {
        precondition(length >= 0 && length <= region.bufferStride,
                     "payload of \(length) bytes exceeds the \(region.bufferStride)-byte slot buffer")
        guard let op = driver.allocate(opcode: opcode, length: UInt32(length), userData: userData) else { return nil }
        fill(region.uncheckedBuffer(slot: op.slot, count: length))  // the driver hands out in-range slots only
        return ev_entry(op_id: op.rawValue, opcode: opcode, flags: 0, length: UInt32(length),
                        user_data: userData, result: 0, reserved: 0)
    }

    /// Gives back the slot of a staged entry that will not be published.
    @inlinable
    package func abandon(staged entry: ev_entry) { driver.abandon(OpID(rawValue: entry.op_id)) }

    /// Like `trySubmit`, but waits for a free slot (reaping completions meanwhile) and
    /// for room in the submission queue.
    public func submit(opcode: UInt16, length: Int, userData: UInt64 = 0, timeout: Duration? = nil,
                       fill: (UnsafeMutableRawBufferPointer) -> Void = { _ in }) throws(RingError) -> OpID {
        precondition(length >= 0 && length <= bufferSize, "payload of \(length) bytes exceeds the \(bufferSize)-byte slot buffer")
        var op = driver.allocate(opcode: opcode, length: UInt32(length), userData: userData)
        if op == nil {
            // Slots come back with completions: wait on the completion queue.
            var waiter = completions.makeWaiter(timeout: timeout)
            defer { waiter.finish() }
            while op == nil {
                if reap() == 0 { try waiter.pause(until: completions.hasEntries) }
                op = driver.allocate(opcode: opcode, length: UInt32(length), userData: userData)
            }
        }
        let id = op!
        fill(UnsafeMutableRawBufferPointer(rebasing: region.buffer(slot: id.slot)[..<length]))
        let entry = ev_entry(op_id: id.rawValue, opcode: opcode, flags: 0, length: UInt32(length),
                             user_data: userData, result: 0, reserved: 0)
        do { try submissions.send(entry, timeout: timeout) } catch {
            driver.abandon(id)
            throw error
        }
        return id
    }

    /// Drains the completion queue into the driver, calling `handler` for every op that
    /// completed (cancelled ops are reclaimed silently). Returns the entries consumed.
    @discardableResult @inlinable
    public func reap(_ handler: (Completion) -> Void = { _ in }) -> Int {
        var count = 0
        var now: UInt64 = 0  // one clock read per reap, taken when the first entry arrives
        while let entry = completions.tryReceive() {
            if count == 0 { now = ev_monotonic_ns() }
            count += 1
            if case .completed(let completion) = driver.complete(entry, completedAt: now) { handler(completion) }
        }
        return count
    }

    /// Waits until `op` completes (reaping other completions into their slots meanwhile).
    /// The op stays completed until `release`.
    public func wait(for op: OpID, timeout: Duration? = nil) throws(RingError) -> Completion {
        requireAwaitable(op)
        driver.markWaiting(op)
        if let done = driver.completion(of: op) { return done }
        var waiter = completions.makeWaiter(timeout: timeout)
        defer { waiter.finish() }
        while true {
            if let done = driver.completion(of: op) { return done }
            if reap() == 0 { try waiter.pause(until: completions.hasEntries) }
        }
    }

    /// Suspends the task until `op` completes. The waiting itself is done by this
    /// requester's waiter thread (`AsyncCompletionWaiter`), never on the cooperative pool.
    public func completion(of op: OpID, timeout: Duration? = nil) async throws(RingError) -> Completion {
        requireAwaitable(op)
        driver.markWaiting(op)
        let start = ContinuousClock.now
        while true {
            if let done = driver.completion(of: op) { return done }
            if reap() == 0 {
                var remaining: Duration? = nil
                if let timeout {
                    remaining = timeout - (ContinuousClock.now - start)
                    if remaining! <= .zero { throw .timedOut }
                }
                try await asyncWaiter.waitForEntries(timeout: remaining)
            }
        }
    }

    /// Started at the first async wait; one thread per requester, closed on detach.
    private var asyncWaiterStorage: AsyncCompletionWaiter?
    private var asyncWaiter: AsyncCompletionWaiter {
        if let waiter = asyncWaiterStorage { return waiter }
        let waiter = AsyncCompletionWaiter(completions: completions)
        asyncWaiterStorage = waiter
        return waiter
    }

    deinit { asyncWaiterStorage?.close() }

    /// A released, reused or cancelled op never shows up as completed: waiting for it would
    /// only time out, or hang forever without a timeout. That is a caller bug, like `release`
    /// of a stale op, so it traps with the reason.
    func requireAwaitable(_ op: OpID) {
        let state = driver.state(of: op)
        precondition(state == .submitted || state == .waiting || state == .completed,
                     "waiting for op \(op), which is \(state?.description ?? "stale (released or its slot reused)") and can never complete")
    }

    /// The response payload of a completed op (valid until `release`). A completion's op
    /// comes from our own driver, so its slot is in range; its length is the peer's word,
    /// so it is clamped to the buffer.
    @inlinable
    public func response(of completion: Completion) -> UnsafeRawBufferPointer {
        precondition(completion.op.slot < driver.slotCount, "completion of op \(completion.op) is not from this ring")
        let length = min(max(completion.length, 0), region.bufferStride)
        return UnsafeRawBufferPointer(region.uncheckedBuffer(slot: completion.op.slot, count: length))
    }

    /// Frees a completed op's slot.
    @inlinable public func release(_ op: OpID) { driver.release(op) }

    /// Cancels an in-flight op; its slot stays pinned until the responder completes it.
    @discardableResult public func cancel(_ op: OpID) -> Bool { driver.cancel(op) }

    /// Leaves the ring: stops the heartbeat and marks the side detached. Returns true if
    /// this was the last attached side.
    @discardableResult public func detach() -> Bool {
        asyncWaiterStorage?.close()
        return attachment.detach()
    }

    /// Removes the ring's name (the memory lives on until every mapping is gone).
    public func unlink() throws(RingError) { try SystemCalls.shmUnlink(region.name) }
}
