import CEvering

/// A read-only attachment for inspectors. The object is opened `O_RDONLY` and mapped
/// `PROT_READ`, so nothing done through an observer can change the ring; it takes no
/// side, holds no reference count, and writes no heartbeat.
///
/// Each accessor is one small read with the ABI's orderings; callers assemble them into
/// snapshots ("consistent enough": fields may advance between two reads, but a queue's
/// head is read before its tail so `used` is never negative).
public final class RingObserver: @unchecked Sendable {
    // @unchecked: immutable; reads of the shared memory use atomics.
    public let region: SharedRegion

    public init(attaching name: RingName) throws(RingError) {
        region = try SharedRegion.open(name, writable: false)
    }

    /// The reads an observer makes of the mapping, one per accessor.
    public enum ReadPhase: String, Sendable, CaseIterable {
        case header, side, slotStates, busySlots, slot, queue, entry
    }

    /// Called at the start of each read of the mapping: a test hook (truncate the object
    /// at each phase of a snapshot). Nil in normal use.
    public var readHook: ((ReadPhase) -> Void)?

    @usableFromInline
    func willRead(_ phase: ReadPhase) { readHook?(phase) }

    public var name: RingName { region.name }
    public var layout: RingLayout { region.layout }

    public struct HeaderInfo: Equatable, Sendable {
        public var abiMajor: UInt16
        public var abiMinor: UInt16
        public var totalSize: UInt64
        public var createdAtNanoseconds: UInt64
        public var creatorPID: Int32
        public var refcount: UInt32
        public var flags: UInt32
        /// ABI 1.1 `writer_features` (0 in a 1.0 ring).
        public var writerFeatures: UInt32 = 0
    }

    public var header: HeaderInfo {
        willRead(.header)
        let h = region.header
        return HeaderInfo(abiMajor: h.pointee.abi_major, abiMinor: h.pointee.abi_minor, totalSize: h.pointee.total_size,
                          createdAtNanoseconds: h.pointee.created_at_ns, creatorPID: h.pointee.creator_pid,
                          // Acquire pairs with the sides' acq-rel updates of the count.
                          refcount: ev_load_acquire_u32(ev_header_refcount_ptr(h)), flags: h.pointee.flags,
                          writerFeatures: h.pointee.writer_features)
    }

    public struct SideInfo: Equatable, Sendable {
        /// The side block's state (ABI values; `unknown`: a stored value the ABI does not define).
        public enum State: UInt32, Sendable, CaseIterable, CustomStringConvertible {
            case never = 0, attached = 1, detached = 2, unknown = 0xffff_ffff

            public var description: String {
                switch self {
                case .never: "never"
                case .attached: "attached"
                case .detached: "detached"
                case .unknown: "unknown"
                }
            }
        }
        public var state: State
        public var rawState: UInt32
        public var identity: ProcessIdentity
        public var heartbeatNanoseconds: UInt64
        public var attachedAtNanoseconds: UInt64
        public var detachedAtNanoseconds: UInt64
        /// ABI 1.1 fields, nil in a 1.0 ring (`abi_minor` 0), whose bytes there are reserved.
        /// An owner naming another pid than `identity`, or a refcount above 2, is a double
        /// attach (a 1.0 joiner that raced a claim).
        public var owner: SideOwner?
        /// Inode of the owner's pid namespace (0: unknown); see `PidNamespace`.
        public var pidNamespace: UInt64?
        /// `ev_capability` bits the side advertised.
        public var capabilities: UInt32?
        /// Times the side block was claimed, takeovers included.
        public var claims: UInt32?

        /// The side recorded a pid namespace other than ours: its pid names nothing here, and
        /// only its heartbeat tells whether it lives (docs/ABI.md "Judging an owner").
        public var isInOtherPidNamespace: Bool {
            pidNamespace.map { !PidNamespace.canJudgeByPid(recorded: $0) } ?? false
        }
    }

    public func side(_ side: RingSide) -> SideInfo {
        willRead(.side)
        return region.sideInfo(side)
    }

    public enum QueueKind: String, Sendable, CaseIterable, Codable {
        case submission = "sq", completion = "cq"
    }

    public struct QueueIndices: Equatable, Sendable {
        public var head: UInt64
        public var tail: UInt64
        public var capacity: UInt32
        public var fullStalls: UInt64
        public var emptyWaits: UInt64
        /// tail - head; can exceed capacity only in a corrupt ring (never clamped here).
        public var used: UInt64 { tail &- head }
    }

    public func queueLayout(_ kind: QueueKind) -> QueueLayout { layout.queue(kind) }

    public func queue(_ kind: QueueKind) -> QueueIndices {
        willRead(.queue)
        return region.queueIndices(kind)
    }

    /// A copy of the entry at free-running position `index` (masked into the array).
    /// Meaningful for head <= index < tail; older positions hold whatever was last there.
    public func entry(_ kind: QueueKind, at index: UInt64) -> ev_entry {
        willRead(.entry)
        let queue = queueLayout(kind)
        return region.entries(queue)[Int(truncatingIfNeeded: index & queue.mask)]
    }

    public struct SlotRecord: Equatable, Sendable {
        /// Nil when the stored state is not one the ABI defines (corruption).
        public var state: SlotState?
        public var rawState: UInt32
        public var generation: UInt32
        public var opcode: UInt16
        public var length: UInt32
        public var submittedNanoseconds: UInt64
        public var completedNanoseconds: UInt64
        public var resultLength: UInt32
        public var result: Int32
        public var userData: UInt64

        @inlinable
        public init(state: SlotState?, rawState: UInt32, generation: UInt32, opcode: UInt16, length: UInt32,
                    submittedNanoseconds: UInt64, completedNanoseconds: UInt64, resultLength: UInt32, result: Int32,
                    userData: UInt64) {
            self.state = state
            self.rawState = rawState
            self.generation = generation
            self.opcode = opcode
            self.length = length
            self.submittedNanoseconds = submittedNanoseconds
            self.completedNanoseconds = completedNanoseconds
            self.resultLength = resultLength
            self.result = result
            self.userData = userData
        }

        /// From a consistent copy of the C record.
        @inlinable
        public init(_ s: ev_slot) {
            self.init(state: SlotState(rawValue: s.state), rawState: s.state, generation: s.generation, opcode: s.opcode,
                      length: s.length, submittedNanoseconds: s.submitted_ns, completedNanoseconds: s.completed_ns,
                      resultLength: s.result_length, result: s.result, userData: s.user_data)
        }
    }

    /// Copy attempts before a slot counts as *changing* (each fails only if the requester
    /// rewrote the record during a copy of a few nanoseconds).
    public static let slotReadAttempts: Int32 = 8

    /// One instant's copy of slot `index` through its seqlock (`ev_slot_read`, in C), or nil
    /// when the requester kept rewriting it through `attempts` copies: report it as
    /// *changing*, never as a record mixed from two ops. (A 1.0 ring has no seq: its copy is
    /// best effort.)
    @inlinable
    public func readSlot(_ index: UInt32, attempts: Int32 = RingObserver.slotReadAttempts) -> SlotRecord? {
        precondition(index < layout.slotCount, "slot \(index) out of range")
        willRead(.slot)
        var copy = ev_slot()
        guard ev_slot_read(region.slots + Int(index), &copy, attempts) != 0 else { return nil }
        return SlotRecord(copy)
    }

    /// Slot `index`, retrying the seqlock read far longer than `readSlot` does; a slot that
    /// is still changing after that is copied once, best effort.
    public func slot(_ index: UInt32) -> SlotRecord {
        if let record = readSlot(index, attempts: 4096) { return record }
        var copy = ev_slot()
        ev_slot_load_fields(region.slots + Int(index), &copy)
        return SlotRecord(copy)
    }

    /// Slot states only, one load per slot: the cheap pass for large tables.
    public func slotStates(into states: inout [UInt32]) {
        willRead(.slotStates)
        let count = Int(layout.slotCount)
        if states.count != count { states = [UInt32](repeating: 0, count: count) }
        let slots = region.slots
        states.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                // Acquire: as in slot(_:); pairs with the driver's release store.
                out[i] = ev_load_acquire_u32(ev_slot_state_ptr(slots + i))
            }
        }
    }

    /// Calls `body` with the record of every slot whose entry in `states` (from
    /// `slotStates(into:)`) is not free and which is still not free when read: the second
    /// pass of a large table read. The record is nil for a slot still *changing* after
    /// `slotReadAttempts` seqlock copies. Inlinable so the caller's loop body is specialised
    /// into it (a call per slot across modules costs more than the whole read should).
    @inlinable
    public func forEachBusySlot(states: UnsafeBufferPointer<UInt32>, _ body: (UInt32, SlotRecord?) -> Void) {
        willRead(.busySlots)
        let count = min(states.count, Int(region.layout.slotCount))  // never index past the slot table
        let slots = region.slots
        var copy = ev_slot()
        for index in 0..<count where states[index] != SlotState.free.rawValue {
            // The seqlock read (acquire on seq and state, relaxed fields, acquire fence).
            guard ev_slot_read(slots + index, &copy, Self.slotReadAttempts) != 0 else {
                body(UInt32(index), nil)
                continue
            }
            if copy.state == SlotState.free.rawValue { continue }  // freed since the state pass
            body(UInt32(index), SlotRecord(copy))
        }
    }

    /// Whether the object still has its full size (a truncation would fault our reads).
    public var isIntact: Bool { region.isIntact }
    /// Whether the ring's name still refers to this object.
    public var isStillLinked: Bool { region.isStillLinked }
}

extension RingLayout {
    public func queue(_ kind: RingObserver.QueueKind) -> QueueLayout {
        kind == .submission ? submission : completion
    }
}

/// Reads shared by every holder of a mapping (observers, and requesters or responders
/// looking at their peer): one place for the orderings of these reads.
extension SharedRegion {
    /// One side's block: its state, identity and heartbeat.
    public func sideInfo(_ side: RingSide) -> RingObserver.SideInfo {
        let block = self.side(side)
        // Acquire pairs with the side's release store of state after it wrote its identity.
        let raw = ev_load_acquire_u32(ev_side_state_ptr(block))
        var info = RingObserver.SideInfo(state: RingObserver.SideInfo.State(rawValue: raw) ?? .unknown, rawState: raw,
                                         identity: ProcessIdentity(pid: block.pointee.pid, startTime: block.pointee.start_time),
                                         // Relaxed: a timestamp; nothing is published with it.
                                         heartbeatNanoseconds: ev_load_relaxed_u64(ev_side_heartbeat_ptr(block)),
                                         attachedAtNanoseconds: block.pointee.attached_at_ns,
                                         detachedAtNanoseconds: block.pointee.detached_at_ns)
        // Plain: abi_minor is written by the creator before `ready` (validated with acquire).
        if header.pointee.abi_minor >= UInt16(EV_ABI_MINOR_1_1) {
            // Acquire pairs with the claimant's CAS / the releasing side's store of 0.
            info.owner = SideOwner(rawValue: ev_load_acquire_u64(ev_side_owner_ptr(block)))
            info.pidNamespace = block.pointee.pid_ns
            info.capabilities = block.pointee.capabilities
            // Relaxed: a statistic.
            info.claims = ev_load_relaxed_u32(ev_side_claims_ptr(block))
        }
        return info
    }

    /// A queue's indices and counters.
    public func queueIndices(_ kind: RingObserver.QueueKind) -> RingObserver.QueueIndices {
        let queue = layout.queue(kind)
        let block = queueBlock(queue)
        // Head first, then tail: tail only grows, so the tail we read is at least the
        // tail at the moment we read head, and tail - head is never negative.
        // Acquire on both pairs with the owners' release stores.
        let head = ev_load_acquire_u64(ev_queue_head_ptr(block))
        let tail = ev_load_acquire_u64(ev_queue_tail_ptr(block))
        return RingObserver.QueueIndices(head: head, tail: tail, capacity: queue.capacity,
                                         // Relaxed: statistics, they order nothing.
                                         fullStalls: ev_load_relaxed_u64(ev_queue_full_stalls_ptr(block)),
                                         emptyWaits: ev_load_relaxed_u64(ev_queue_empty_waits_ptr(block)))
    }
}

/// Removes a ring's name from /dev/shm. Mappings stay valid until unmapped.
public func unlinkRing(_ name: RingName) throws(RingError) {
    try SystemCalls.shmUnlink(name)
}

/// Names of objects in /dev/shm, for `list` and for "did you mean" in errors.
public func sharedMemoryObjectNames() -> [String] {
    guard let dir = opendir(SystemCalls.shmDirectory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." && entry.pointee.d_type != UInt8(DT_DIR) { names.append(name) }
    }
    return names.sorted()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Encoded by name ("never", "attached", ...): the inspector's JSON names states, not ABI values.
extension RingObserver.SideInfo.State: Codable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let state = Self.allCases.first(where: { $0.description == name }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a side state: \(name)"))
        }
        self = state
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
