#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering

/// A byte buffer with a read cursor and a write cursor, for framing over a stream.
final class ByteBuffer {
    let storage: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }
    deinit { storage.deallocate() }

    var count: Int { end - start }
    var room: Int { storage.count - end }
    /// Moves unread bytes to the front so `room` is as large as it can be.
    func compact() {
        if start == 0 { return }
        if count > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count) }
        end -= start
        start = 0
    }
}

/// The requester's end over a byte stream: a Unix-domain socket (one fd both ways) or
/// a pair of FIFOs. Requests are `payload`-byte frames; responses are `responseSize`-byte
/// frames in the same order (streams are FIFO, so the sequence of each response is the
/// oldest one outstanding). The fds are non-blocking: the requester loop never blocks
/// in a write while the responder blocks writing to us.
public final class StreamRequesterTransport: RequesterTransport {
    let readFD: Int32
    let writeFD: Int32
    let responseSize: Int
    let outgoing: ByteBuffer
    let incoming: ByteBuffer
    /// Sequences sent and not answered, oldest first (a ring buffer that grows).
    var outstanding: [UInt64] = Array(repeating: 0, count: 64)
    var outstandingHead = 0
    var outstandingCount = 0
    var stalls: UInt64 = 0
    var inStall = false
    var closed = false
    let description: String

    /// Takes ownership of the fds (closed by `close`), which must be non-blocking.
    init(readFD: Int32, writeFD: Int32, payloadBytes: Int, responseSize: Int, description: String) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.responseSize = responseSize
        outgoing = ByteBuffer(capacity: max(64 << 10, payloadBytes))
        incoming = ByteBuffer(capacity: max(64 << 10, responseSize))
        self.description = description
    }

    deinit { close() }

    public func trySend(sequence: UInt64, opcode: LoadOpcode, length: Int,
                        fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) -> Bool {
        if outgoing.room < length {
            try flush()
            outgoing.compact()
            if outgoing.room < length {
                if !inStall { stalls += 1; inStall = true }
                return false
            }
        }
        fill(UnsafeMutableRawBufferPointer(rebasing: outgoing.storage[outgoing.end ..< outgoing.end + length]))
        outgoing.end += length
        inStall = false
        pushOutstanding(sequence)
        return true
    }

    public func flush() throws(LoadError) {
        while outgoing.count > 0 {
            switch try FileDescriptorIO.write(writeFD, from: outgoing.storage.baseAddress! + outgoing.start, count: outgoing.count) {
            case .bytes(let n): outgoing.start += n
            case .wouldBlock: return
            case .endOfFile: throw .responderGone("it closed the \(description) (write failed with EPIPE)")
            }
        }
        outgoing.start = 0
        outgoing.end = 0
    }

    public func poll(_ body: (LoadCompletion) -> Void) throws(LoadError) -> Int {
        try flush()
        var delivered = 0
        while true {
            incoming.compact()
            switch try FileDescriptorIO.read(readFD, into: incoming.storage.baseAddress! + incoming.end, count: incoming.room) {
            case .bytes(let n): incoming.end += n
            case .wouldBlock: return delivered
            case .endOfFile: throw .responderGone("it closed the \(description)")
            }
            // Every response this read completed had arrived by now: one clock read for all.
            let receivedAt = incoming.count >= responseSize ? ev_monotonic_ns() : 0
            while incoming.count >= responseSize {
                // A response with nothing outstanding is a duplicate; report an impossible
                // sequence so the requester loop counts it.
                let sequence = outstandingCount > 0 ? popOutstanding() : UInt64.max
                body(LoadCompletion(sequence: sequence, status: 0,
                                    response: UnsafeRawBufferPointer(rebasing: incoming.storage[incoming.start ..< incoming.start + responseSize]),
                                    receivedAt: receivedAt))
                incoming.start += responseSize
                delivered += 1
            }
        }
    }

    /// poll(2) on the read side (and the write side while bytes wait to be sent): the
    /// kernel wakes us when the responder's answer arrives, as a blocking client would.
    public func waitForCompletions(timeoutNanoseconds: UInt64) throws(LoadError) {
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
        if outgoing.count > 0 { fds.append(pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)) }
        let milliseconds = Int32(clamping: max(1, timeoutNanoseconds / 1_000_000))
        let (rc, err) = SystemCalls.retryingInterrupts { Glibc.poll(&fds, nfds_t(fds.count), milliseconds) }
        if rc < 0 { throw .system(call: "poll", errno: err) }
    }

    /// EOF and EPIPE are noticed by `poll` and `flush`; nothing more to ask here.
    public func checkPeer() throws(LoadError) {}

    public var fullStalls: UInt64 { stalls }
    public var queueFill: (used: UInt64, capacity: UInt64)? { nil }

    public func leakCancelled(sequences: Range<UInt64>, length: Int,
                              fill: (UInt64, UnsafeMutableRawBufferPointer) -> Void) throws(LoadError) {
        throw .invalidConfiguration("leak-cancel needs --transport ring")
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(readFD)
        if writeFD != readFD { Glibc.close(writeFD) }
    }

    func pushOutstanding(_ sequence: UInt64) {
        if outstandingCount == outstanding.count {
            // Grow, unrolling the ring so the oldest is at index 0 again.
            outstanding = (0..<outstandingCount).map { outstanding[(outstandingHead + $0) % outstanding.count] }
                + Array(repeating: 0, count: outstandingCount)
            outstandingHead = 0
        }
        outstanding[(outstandingHead + outstandingCount) % outstanding.count] = sequence
        outstandingCount += 1
    }

    func popOutstanding() -> UInt64 {
        let sequence = outstanding[outstandingHead]
        outstandingHead = (outstandingHead + 1) % outstanding.count
        outstandingCount -= 1
        return sequence
    }
}

/// The responder's end over a byte stream, with blocking fds: it reads request frames,
/// writes each response into an output buffer, and flushes that buffer before it would
/// wait for more input (so a burst of requests is answered with one write).
public final class StreamResponderTransport: ResponderTransport {
    let readFD: Int32
    let writeFD: Int32
    let requestSize: Int
    let responseSize: Int
    let incoming: ByteBuffer
    let outgoing: ByteBuffer
    var closed = false
    let description: String

    init(readFD: Int32, writeFD: Int32, payloadBytes: Int, responseSize: Int, description: String) {
        self.readFD = readFD
        self.writeFD = writeFD
        requestSize = payloadBytes
        self.responseSize = responseSize
        incoming = ByteBuffer(capacity: max(64 << 10, payloadBytes))
        outgoing = ByteBuffer(capacity: max(64 << 10, responseSize))
        self.description = description
    }

    deinit { close() }

    public func receive(timeout: Duration) throws(LoadError) -> IncomingRequest? {
        if incoming.count < requestSize {
            try flushAll()
            let deadlineMs = Int32(clamping: max(1, timeout.nanoseconds / 1_000_000))
            incoming.compact()
            while incoming.count < requestSize {
                guard try FileDescriptorIO.waitReadable(readFD, milliseconds: deadlineMs) else { return nil }
                switch try FileDescriptorIO.read(readFD, into: incoming.storage.baseAddress! + incoming.end, count: incoming.room) {
                case .bytes(let n): incoming.end += n
                case .wouldBlock: continue
                case .endOfFile:
                    if incoming.count > 0 { throw .requesterGone("it closed the \(description) in the middle of a request") }
                    throw .requesterGone("it closed the \(description)")
                }
            }
        }
        if outgoing.room < responseSize {
            try flushAll()
        }
        let payload = UnsafeRawBufferPointer(rebasing: incoming.storage[incoming.start ..< incoming.start + requestSize])
        incoming.start += requestSize
        let response = UnsafeMutableRawBufferPointer(rebasing: outgoing.storage[outgoing.end ..< outgoing.end + responseSize])
        return IncomingRequest(opcode: LoadOpcode.echo.rawValue, userData: nil, payload: payload, responseBuffer: response)
    }

    public func respond(_ request: IncomingRequest, status: Int32, length: Int) throws(LoadError) {
        precondition(length == responseSize, "stream responses are fixed-size frames")
        outgoing.end += length
    }

    /// Writes every buffered response, blocking while the requester is not reading.
    func flushAll() throws(LoadError) {
        while outgoing.count > 0 {
            switch try FileDescriptorIO.write(writeFD, from: outgoing.storage.baseAddress! + outgoing.start, count: outgoing.count) {
            case .bytes(let n): outgoing.start += n
            case .wouldBlock: FileDescriptorIO.sleep(milliseconds: 1)
            case .endOfFile: throw .requesterGone("it closed the \(description)")
            }
        }
        outgoing.start = 0
        outgoing.end = 0
    }

    /// A hang-up (socket peer closed, or no writer left on the request FIFO) means the
    /// requester is gone, even if requests we never read are still buffered.
    public func checkPeer() throws(LoadError) {
        var entry = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        if Glibc.poll(&entry, 1, 0) > 0, entry.revents & Int16(POLLHUP | POLLERR) != 0 {
            throw .requesterGone("it closed the \(description)")
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        try? flushAll()
        Glibc.close(readFD)
        if writeFD != readFD { Glibc.close(writeFD) }
    }
}
