#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering

/// Opcodes the load generator puts in requests.
public enum LoadOpcode: UInt16, Sendable {
    /// An ordinary op: verify and answer.
    case echo = 1
    /// A `leak-cancel` op: the requester has cancelled it; the responder must never answer.
    case leak = 2
}

/// One finished op as the requester's transport reports it.
public struct LoadCompletion {
    /// The op's sequence number as the transport knows it (ring: the entry's user data
    /// echoed by the responder; uds/pipe: the next one in send order, streams being FIFO).
    public var sequence: UInt64
    /// The responder's status: 0, or `-EBADMSG` when it rejected the request (ring only;
    /// other transports say so with the rejected bit of the response tag).
    public var status: Int32
    /// The response payload (empty for ring stream completions); valid during the callback.
    public var response: UnsafeRawBufferPointer
    /// When the transport took the completion in (CLOCK_MONOTONIC ns, `ev_monotonic_ns`):
    /// one clock read per batch it takes, since everything in a batch had arrived by then.
    /// Every op's latency ends here, and the window slot it frees counts as free from here
    /// (`OpReadiness`): the only time a transport contributes to latency.
    public var receivedAt: UInt64

    public init(sequence: UInt64, status: Int32, response: UnsafeRawBufferPointer, receivedAt: UInt64) {
        self.sequence = sequence
        self.status = status
        self.response = response
        self.receivedAt = receivedAt
    }
}

/// The requester's end of a transport. The same requester loop (`LoadRequester`)
/// drives every transport through these few calls, so ring, uds and pipe numbers come
/// from the same workload code.
public protocol RequesterTransport: AnyObject {
    /// Starts request `sequence`: `fill` writes its `length`-byte payload. Returns false
    /// when there is no room right now (queue full, socket buffer full); nothing was sent.
    func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                 fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool
    /// Pushes out anything buffered by `trySend` (a no-op for the ring).
    func flush() throws(LoadError)
    /// Hands every finished op to `body`, each stamped with when it was received; returns
    /// how many.
    func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int
    /// Throws when the responder is known to be dead, gone or hung. Called about every
    /// 100 ms, and whenever the loop is waiting.
    func checkPeer() throws(LoadError)
    /// Queue-full episodes seen so far (ring: both queues' counters in shared memory;
    /// sockets: times a send found the kernel buffer full).
    var fullStalls: UInt64 { get }
    /// Requests queued but not yet taken by the responder, and the queue's capacity, for
    /// the progress line. Nil when the transport cannot tell.
    var queueFill: (used: UInt64, capacity: UInt64)? { get }
    /// Submits `count` ops with `LoadOpcode.leak` and cancels them (ring only).
    func leakCancelled(sequences: Range<UInt64>, length: Int,
                       fill: (UInt64, UnsafeMutableRawBufferPointer) -> Void) throws(LoadError)
    /// Leaves: detach (ring) or close (sockets). Idempotent.
    func close()
    /// Blocks until a completion may be ready to `poll` (or, for a byte stream with
    /// unsent bytes, until it can write), at most `timeoutNanoseconds`: the kernel's own
    /// wait for sockets and pipes (poll(2)), the wake-up protocol for the ring. The loop
    /// calls it when it has ops in flight and nothing to do.
    func waitForCompletions(timeoutNanoseconds: UInt64) throws(LoadError)
}

extension RequesterTransport {
    /// A transport without a way to block: a short sleep.
    public func waitForCompletions(timeoutNanoseconds: UInt64) throws(LoadError) {
        var request = timespec(tv_sec: 0, tv_nsec: Int(min(timeoutNanoseconds, 50_000)))
        _ = nanosleep(&request, nil)
    }
}

/// One request as the responder's transport hands it over.
public struct IncomingRequest {
    public var opcode: UInt16
    /// The ring entry's user data (the requester's sequence number); nil on uds/pipe.
    public var userData: UInt64?
    public var payload: UnsafeRawBufferPointer
    /// Where the response is written (the slot buffer on the ring).
    public var responseBuffer: UnsafeMutableRawBufferPointer
    /// The ring entry the request came in (nil on uds/pipe).
    var ringEntry: ev_entry? = nil
}

/// The responder's end of a transport.
public protocol ResponderTransport: AnyObject {
    /// The next request, waiting up to `timeout`; nil on timeout. Throws
    /// `requesterGone` once the requester left and nothing is left to read.
    func receive(timeout: Duration) throws(LoadError) -> IncomingRequest?
    /// Sends the response to `request` (`length` bytes already in its response buffer),
    /// waiting while there is no room.
    func respond(_ request: IncomingRequest, status: Int32, length: Int) throws(LoadError)
    /// Throws once the requester is gone (for loops that are not receiving).
    func checkPeer() throws(LoadError)
    func close()
}
