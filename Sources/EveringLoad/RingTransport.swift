import CEvering
import Evering

/// The requester's end over an evering ring: ops are driver slots, payloads live in
/// the slot buffers, the sequence number rides in the entry's user data. Every ring
/// operation is the library's (`Requester.stage`, the queues' batch calls, the driver, the
/// blocking wait): this file keeps only the batching.
///
/// With `batch` > 1 a send allocates the slot and fills its buffer at once but stages the
/// entry; `flush` (and every `poll`) publishes the staged entries with one tail store, and
/// completions are taken up to `batch` at a time, so the queue indices cross between
/// cores once per batch rather than once per op.
public final class RingRequesterTransport: RequesterTransport {
    public let requester: Requester
    let monitor: PeerMonitor
    let hangTimeout: Duration
    let staged: UnsafeMutableBufferPointer<ev_entry>
    /// The staged count lives behind a pointer, like the library's queue ends keep their
    /// indices: a class's stored `var` written after the caller's `fill` closure ran costs
    /// a dynamic exclusivity check (`swift_beginAccess`) per op.
    let stagedCountStorage: UnsafeMutablePointer<Int>
    var stagedCount: Int {
        @inline(__always) get { stagedCountStorage.pointee }
        @inline(__always) set { stagedCountStorage.pointee = newValue }
    }
    let reaped: UnsafeMutableBufferPointer<ev_entry>
    var closed = false

    public init(requester: Requester, hangTimeout: Duration = .seconds(3), batch: Int = 1) {
        precondition(batch >= 1)
        self.requester = requester
        monitor = requester.peer  // shared with the queues: it also carries corruptPeer
        self.hangTimeout = hangTimeout
        staged = .allocate(capacity: batch)
        reaped = .allocate(capacity: batch)
        stagedCountStorage = .allocate(capacity: 1)
        stagedCountStorage.initialize(to: 0)
    }

    deinit {
        staged.deallocate()
        reaped.deallocate()
        stagedCountStorage.deallocate()
    }

    public func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                        fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool {
        if staged.count == 1 {
            return requester.trySubmit(opcode: opcode.rawValue, length: length, userData: sequence, fill: fill) != nil
        }
        if stagedCount == staged.count {
            publish()
            if stagedCount == staged.count { return false }
        }
        // The library's batched fast path: slot allocation (each op stamped with its own
        // clock read, so the inspector's oldest op is the one at the head of the queue),
        // the payload, the entry; `publish` sends the batch with one tail store.
        guard let entry = requester.stage(opcode: opcode.rawValue, length: length, userData: sequence, fill: fill) else {
            return false
        }
        staged[stagedCount] = entry
        stagedCount += 1
        return true
    }

    public func flush() throws(LoadError) { publish() }

    /// Publishes as many staged entries as the submission queue takes; the rest stay
    /// staged (in order) for the next try.
    func publish() {
        guard stagedCount > 0 else { return }
        let sent = requester.submissions.trySend(contentsOf: UnsafeBufferPointer(rebasing: staged[..<stagedCount]))
        if sent > 0 && sent < stagedCount {
            for i in sent..<stagedCount { staged[i - sent] = staged[i] }
        }
        stagedCount -= sent
    }

    public func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int {
        let requester = self.requester
        publish()
        var count = 0
        while true {
            let n = requester.completions.tryReceive(into: reaped)
            if n == 0 { return count }
            count += n
            // Everything taken in one batch had arrived by now: one clock read for all of it
            // (the slots' completion stamps, and when the requester received them).
            let completedAt = ev_monotonic_ns()
            for i in 0..<n {
                // Cancelled ops are reclaimed by the driver; unknown ids are not ours to
                // report here (the requester loop counts what it never hears about as lost).
                guard case .completed(let completion) = requester.driver.complete(reaped[i], completedAt: completedAt) else { continue }
                body(LoadCompletion(sequence: completion.userData, status: completion.result,
                                    response: requester.response(of: completion), receivedAt: completedAt))
                requester.release(completion.op)
            }
        }
    }

    /// The library's wait on the completion queue: the wake-up protocol (a futex sleep
    /// the responder's publish ends) when the responder advertises it, else the backoff.
    public func waitForCompletions(timeoutNanoseconds: UInt64) throws(LoadError) {
        publish()
        // Whatever ends the wait early (a stop request, the responder's death or a corrupt
        // index) is left to the loop: it sees stops through shouldStop, and its supervision
        // (checkPeer, then the child process) reports the responder the one usual way.
        try? requester.completions.waitUntilNotEmpty(timeout: .nanoseconds(Int64(clamping: timeoutNanoseconds)))
    }

    public func checkPeer() throws(LoadError) {
        do { try monitor.check() } catch {
            if case .corruptPeer = error { throw .ring(error) }
            throw .responderGone(error.description)
        }
        // The responder's heartbeat comes from its own ticker thread, so it stops only
        // when the whole process is frozen (SIGSTOP) or wedged: that is a hang.
        let side = requester.region.sideInfo(.responder)
        guard side.state == .attached else { return }
        let beat = side.heartbeatNanoseconds
        let now = ev_monotonic_ns()
        if now > beat, now - beat > UInt64(hangTimeout.nanoseconds) {
            throw .responderHung(pid: side.identity.pid, silentFor: .nanoseconds(Int64(now - beat)))
        }
    }

    public var fullStalls: UInt64 {
        requester.region.queueIndices(.submission).fullStalls &+ requester.region.queueIndices(.completion).fullStalls
    }

    public var queueFill: (used: UInt64, capacity: UInt64)? {
        let queue = requester.region.queueIndices(.submission)
        return (queue.used, UInt64(queue.capacity))
    }

    public func leakCancelled(sequences: Range<UInt64>, length: Int,
                              fill: (UInt64, UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) {
        for sequence in sequences {
            let op: OpID
            do {
                op = try requester.submit(opcode: LoadOpcode.leak.rawValue, length: length, userData: sequence,
                                          timeout: .seconds(5)) { fill(sequence, $0) }
            } catch { throw .ring(error) }
            requester.cancel(op)
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        requester.detach()
    }
}

/// The responder's end over an evering ring. With `batch` > 1 (stream mode) it takes
/// up to `batch` submissions per queue access and publishes their completions together
/// before it looks for more, so the queue indices cross between cores once per batch
/// instead of once per op.
public final class RingResponderTransport: ResponderTransport {
    public let responder: Responder
    let monitor: PeerMonitor
    let incoming: UnsafeMutableBufferPointer<ev_entry>
    var incomingNext = 0
    var incomingEnd = 0
    let outgoing: UnsafeMutableBufferPointer<ev_entry>
    var outgoingCount = 0

    public init(responder: Responder, batch: Int = 1) {
        precondition(batch >= 1)
        self.responder = responder
        monitor = responder.peer  // shared with the queues: it also carries corruptPeer
        incoming = .allocate(capacity: batch)
        outgoing = .allocate(capacity: batch)
    }

    deinit {
        incoming.deallocate()
        outgoing.deallocate()
    }

    /// Waits with the library's blocking receive (batching what it takes).
    @inline(__always)
    public func receive(timeout: Duration) throws(LoadError) -> IncomingRequest? {
        // The common case, a request already taken in the last batch, is inlined into the
        // responder loop; refilling (and waiting) is not.
        if incomingNext < incomingEnd { return next() }
        return try receiveNextBatch(timeout: timeout)
    }

    @inline(never)
    func receiveNextBatch(timeout: Duration) throws(LoadError) -> IncomingRequest? {
        // Answer everything taken so far before looking for (or waiting on) more.
        try flushCompletions()
        do {
            // The library's blocking receive: the wake-up protocol, the requester's
            // liveness every 100 ms, and one last look at the queue after it detached.
            incomingNext = 0
            incomingEnd = 0  // nothing left of the last batch, whether or not this receive gets one
            incomingEnd = try responder.submissions.receive(into: incoming, timeout: timeout)
            return next()
        } catch .timedOut {
            return nil
        } catch .stopRequested {
            return nil  // the loop sees the request through shouldStop
        } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
    }

    private func refill() -> Bool {
        incomingNext = 0
        incomingEnd = responder.submissions.tryReceive(into: incoming)
        return incomingEnd > 0
    }

    @inline(__always)
    private func next() -> IncomingRequest {
        let entry = incoming[incomingNext]
        incomingNext += 1
        // The library checks the slot against the table: an index outside it gets an
        // empty buffer (the request then fails verification and is answered with an
        // error, never written through).
        let request = responder.request(for: entry)
        return IncomingRequest(opcode: entry.opcode, userData: entry.user_data, payload: request.payload,
                               responseBuffer: request.buffer, ringEntry: entry)
    }

    public func respond(_ request: IncomingRequest, status: Int32, length: Int) throws(LoadError) {
        let entry = request.ringEntry!
        if outgoingCount == outgoing.count { try flushCompletions() }
        outgoing[outgoingCount] = responder.completionEntry(for: entry, result: status, length: length)
        outgoingCount += 1
        if outgoing.count == 1 { try flushCompletions() }
    }

    /// Publishes the buffered completions, waiting while the completion queue is full
    /// (the library's wait notices a dead or departed requester).
    func flushCompletions() throws(LoadError) {
        guard outgoingCount > 0 else { return }
        do {
            try responder.completions.send(contentsOf: UnsafeBufferPointer(rebasing: outgoing[..<outgoingCount]))
        } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
        outgoingCount = 0
    }

    public func checkPeer() throws(LoadError) {
        do { try monitor.check() } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
    }

    public func close() {
        try? flushCompletions()
        responder.detach()
    }
}
