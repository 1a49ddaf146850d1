import CEvering

/// One request as the responder sees it: the entry, and the slot buffer holding its
/// payload (where the response is written too).
public struct Request: @unchecked Sendable {
    // @unchecked: `buffer` points into the shared mapping, owned by this op until completed.
    public var entry: ev_entry
    /// The whole slot buffer; the request payload is its first `entry.length` bytes.
    /// Empty when the entry is malformed.
    public var buffer: UnsafeMutableRawBufferPointer
    public var op: OpID { OpID(rawValue: entry.op_id) }
    public var opcode: UInt16 { entry.opcode }
    @inlinable public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[..<min(Int(entry.length), buffer.count)])
    }
    /// The entry names a slot outside the table, or a length beyond the slot buffer.
    /// (An out-of-range slot gets a nil-based buffer; an in-range one of a 0-byte-buffer
    /// ring is empty but not nil, so emptiness alone cannot tell them apart.)
    public var isMalformed: Bool { buffer.baseAddress == nil || Int(entry.length) > buffer.count }

    @usableFromInline
    init(entry: ev_entry, buffer: UnsafeMutableRawBufferPointer) {
        self.entry = entry
        self.buffer = buffer
    }
}

/// The responder side: consumes submissions, produces completions.
///
///     let responder = try Responder.open("evering-demo")
///     let request = try responder.receive(timeout: .seconds(1))
///     try responder.complete(request, length: 0)
public final class Responder: @unchecked Sendable {
    // @unchecked: one thread drives a responder at a time (SPSC on both queues).
    public let region: SharedRegion
    public let submissions: QueueConsumer<ev_entry>
    public let completions: QueueProducer<ev_entry>
    /// The requester's liveness, and whether it published an impossible index (`corruptPeer`):
    /// what every blocking call of this side consults, and what a polling caller checks.
    public let peer: PeerMonitor
    let attachment: SideAttachment

    init(region: SharedRegion, capabilities: UInt32 = SideCapability.ours) throws(RingError) {
        self.region = region
        attachment = try SideAttachment(region: region, side: .responder, capabilities: capabilities)
        peer = PeerMonitor(region: region, side: .requester)
        let layout = region.layout
        let sq = region.queueBlock(layout.submission), cq = region.queueBlock(layout.completion)
        // The requester waits as the completion queue's consumer and the submission queue's producer.
        let waits = WaitContext(peer: peer, peerWaits: (ev_queue_consumer_wait_ptr(cq), ev_queue_producer_wait_ptr(sq)),
                                ownCapabilities: capabilities, owner: region)
        submissions = QueueConsumer(block: sq, entries: UnsafeMutableRawPointer(region.entries(layout.submission)),
                                    capacity: layout.submission.capacity, owner: region, peer: peer,
                                    queueName: "submission", waits: waits)
        completions = QueueProducer(block: cq, entries: UnsafeMutableRawPointer(region.entries(layout.completion)),
                                    capacity: layout.completion.capacity, owner: region, peer: peer,
                                    queueName: "completion", waits: waits)
    }

    /// Attaches as the responder of an existing ring.
    public static func open(_ name: RingName) throws(RingError) -> Responder {
        try Responder(region: try SharedRegion.open(name, writable: true))
    }

    /// Attaches advertising other capabilities than this library's (tests: a peer that
    /// behaves like a 1.0 process and wakes nobody).
    package static func open(_ name: RingName, advertising capabilities: UInt32) throws(RingError) -> Responder {
        try Responder(region: try SharedRegion.open(name, writable: true), capabilities: capabilities)
    }

    /// Creates a new ring and attaches as its responder (the requester joins later).
    public static func create(_ name: RingName, configuration: RingConfiguration = .init()) throws(RingError) -> Responder {
        let region = try SharedRegion.create(name, configuration: configuration)
        do { return try Responder(region: region) } catch {
            try? SystemCalls.shmUnlink(name)
            throw error
        }
    }

    public var bufferSize: Int { Int(region.layout.bufferSize) }

    /// The request an entry names, its slot checked against the table: the peer wrote the
    /// entry, so an out-of-range slot becomes an empty (nil-based) buffer, never a pointer
    /// outside the mapping. Inlinable: the load generator's responder calls it per request.
    @inlinable
    package func request(for entry: ev_entry) -> Request {
        let op = OpID(rawValue: entry.op_id)
        guard op.slot < region.layout.slotCount else {
            return Request(entry: entry, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        return Request(entry: entry, buffer: region.uncheckedBuffer(slot: op.slot, count: region.bufferStride))
    }

    /// The next request, if one is queued.
    public func tryReceive() -> Request? {
        submissions.tryReceive().map(request(for:))
    }

    /// The next request, waiting for one. Throws `peerDead`/`peerDetached` once the
    /// requester is gone and the queue is drained, or `timedOut`.
    public func receive(timeout: Duration? = nil) throws(RingError) -> Request {
        request(for: try submissions.receive(timeout: timeout))
    }

    /// Publishes the completion of `request`; the response payload (`length` bytes) must
    /// already be in `request.buffer`. Waits while the completion queue is full.
    public func complete(_ request: Request, result: Int32 = 0, length: Int, timeout: Duration? = nil) throws(RingError) {
        precondition(length >= 0 && length <= request.buffer.count, "response of \(length) bytes is longer than the \(request.buffer.count)-byte slot buffer")
        try completions.send(completionEntry(request, result: result, length: length), timeout: timeout)
    }

    /// Non-blocking `complete`; false when the completion queue is full.
    public func tryComplete(_ request: Request, result: Int32 = 0, length: Int) -> Bool {
        completions.trySend(completionEntry(request, result: result, length: length))
    }

    @inlinable
    package func completionEntry(_ request: Request, result: Int32, length: Int) -> ev_entry {
        completionEntry(for: request.entry, result: result, length: length)
    }

    /// The completion entry answering `entry` (op id, opcode and user data copied back).
    @inlinable
    package func completionEntry(for entry: ev_entry, result: Int32, length: Int) -> ev_entry {
        ev_entry(op_id: entry.op_id, opcode: entry.opcode, flags: 0, length: UInt32(length),
                 user_data: entry.user_data, result: result, reserved: 0)
    }

    @discardableResult public func detach() -> Bool { attachment.detach() }
    public func unlink() throws(RingError) { try SystemCalls.shmUnlink(region.name) }
}
