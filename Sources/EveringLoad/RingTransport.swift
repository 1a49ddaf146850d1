import CEvering
import Evering

/// The requester's end over an evering ring: ops are driver slots, payloads live in
/// the slot buffers, the sequence number rides in the entry's user data.
public final class RingRequesterTransport: RequesterTransport {
    public let requester: Requester
    let monitor: PeerMonitor
    let hangTimeout: Duration
    var closed = false

    public init(requester: Requester, hangTimeout: Duration = .seconds(3)) {
        self.requester = requester
        monitor = PeerMonitor(region: requester.region, side: .responder)
        self.hangTimeout = hangTimeout
    }

    public func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                        fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool {
        requester.trySubmit(opcode: opcode.rawValue, length: length, userData: sequence, fill: fill) != nil
    }

    public func flush() throws(LoadError) {}

    public func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int {
        let requester = self.requester
        return requester.reap { completion in
            body(LoadCompletion(sequence: completion.userData, status: completion.result,
                                response: requester.response(of: completion)))
            requester.release(completion.op)
        }
    }

    public func checkPeer() throws(LoadError) {
        do { try monitor.check() } catch { throw .responderGone(error.description) }
        // The responder's heartbeat comes from its own ticker thread, so it stops only
        // when the whole process is frozen (SIGSTOP) or wedged: that is a hang.
        let side = requester.region.side(.responder)
        // Acquire pairs with the responder's release store of state after its identity.
        guard ev_load_acquire_u32(ev_side_state_ptr(side)) == EV_SIDE_ATTACHED.rawValue else { return }
        // Relaxed: a timestamp that publishes nothing else.
        let beat = ev_load_relaxed_u64(ev_side_heartbeat_ptr(side))
        let now = ev_monotonic_ns()
        if now > beat, now - beat > UInt64(hangTimeout.nanoseconds) {
            throw .responderHung(pid: side.pointee.pid, silentFor: .nanoseconds(Int64(now - beat)))
        }
    }

    public var fullStalls: UInt64 {
        let region = requester.region
        // Relaxed: statistics counters; they order nothing.
        return ev_load_relaxed_u64(ev_queue_full_stalls_ptr(region.queueBlock(region.layout.submission)))
            &+ ev_load_relaxed_u64(ev_queue_full_stalls_ptr(region.queueBlock(region.layout.completion)))
    }

    public var queueFill: (used: UInt64, capacity: UInt64)? {
        let region = requester.region
        let block = region.queueBlock(region.layout.submission)
        // Acquire on head pairs with the responder's release store; the tail is our own.
        let head = ev_load_acquire_u64(ev_queue_head_ptr(block))
        return (requester.submissions.enqueuedCount &- head, UInt64(region.layout.submission.capacity))
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

/// The responder's end over an evering ring.
public final class RingResponderTransport: ResponderTransport {
    public let responder: Responder
    let monitor: PeerMonitor

    public init(responder: Responder) {
        self.responder = responder
        monitor = PeerMonitor(region: responder.region, side: .requester)
    }

    public func receive(timeout: Duration) throws(LoadError) -> IncomingRequest? {
        do {
            let request = try responder.receive(timeout: timeout)
            return IncomingRequest(opcode: request.opcode, userData: request.entry.user_data, payload: request.payload,
                                   responseBuffer: request.buffer, ringRequest: request)
        } catch .timedOut {
            // The library checks the peer only every 100 ms of waiting, so a short
            // timeout can expire first: check here so a departed requester is noticed.
            try checkPeer()
            return nil
        } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
    }

    public func respond(_ request: IncomingRequest, status: Int32, length: Int) throws(LoadError) {
        do { try responder.complete(request.ringRequest!, result: status, length: length) } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
    }

    public func checkPeer() throws(LoadError) {
        do { try monitor.check() } catch .peerDetached {
            throw .requesterGone("it detached from the ring")
        } catch {
            throw .ring(error)
        }
    }

    public func close() { responder.detach() }
}
