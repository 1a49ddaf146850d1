import Evering

/// One "consistent enough" reading of a ring: plain data, no pointers, no ring access.
///
/// A snapshot is source-neutral. An evering shm ring fills every part; an io_uring read
/// from /proc/PID/fdinfo fills the queues and their pending entries but has no sides or
/// slot table, so those are optional. Renderers and diagnosis rules must treat a missing
/// part as "this source does not have it", never as "empty".
///
/// Values are reported as read, never clamped: a queue whose `used` exceeds its capacity
/// is shown that way and flagged (`QueueStatus.isOverfull`) so diagnosis can call it
/// corruption. Ages are measured against `takenAtMonotonicNanoseconds` and saturate at 0
/// for timestamps written after that instant (an op allocated while we were reading).
public struct Snapshot: Codable, Equatable, Sendable {
    /// Where a snapshot came from.
    public enum SourceKind: String, Codable, Sendable {
        /// An evering ring in a POSIX shm object, read through `RingObserver`.
        case evering
        /// A kernel io_uring instance, read from /proc/PID/fdinfo/FD.
        case ioUring = "io_uring"
    }

    public var source: SourceKind
    /// The ring's display name: `/evering-demo`, or `io_uring:PID:FD`.
    public var name: String
    /// CLOCK_MONOTONIC ns when the read started (the same clock the ring's timestamps use).
    public var takenAtMonotonicNanoseconds: UInt64
    /// CLOCK_REALTIME ns when the read started (for humans and logs).
    public var takenAtRealtimeNanoseconds: UInt64
    /// How long the read took, in ns (0 if not measured).
    public var readDurationNanoseconds: UInt64

    /// The object header; nil for sources without one.
    public var header: HeaderStatus?
    /// The two sides; nil for sources without sides (io_uring: see `process`).
    public var requester: SideStatus?
    public var responder: SideStatus?
    /// The process owning the ring when the source has a single owner (io_uring); nil for evering.
    public var process: ProcessStatus?

    public var submission: QueueStatus
    public var completion: QueueStatus

    /// The driver slot table; nil for sources without one.
    public var slots: SlotTable?

    /// False when the object shrank under us (we stop reading it: reads would fault).
    public var isIntact: Bool
    /// False when the name no longer refers to the object we read (unlinked or replaced).
    public var isStillLinked: Bool

    /// What only an io_uring read has (SQPOLL, overflow, whether the ring is gone), typed;
    /// nil for evering rings.
    public var ioUring: IOUringDetails?

    public init(source: SourceKind, name: String, takenAtMonotonicNanoseconds: UInt64,
                takenAtRealtimeNanoseconds: UInt64 = 0, readDurationNanoseconds: UInt64 = 0,
                header: HeaderStatus? = nil, requester: SideStatus? = nil, responder: SideStatus? = nil,
                process: ProcessStatus? = nil, submission: QueueStatus, completion: QueueStatus,
                slots: SlotTable? = nil, isIntact: Bool = true, isStillLinked: Bool = true,
                ioUring: IOUringDetails? = nil) {
        self.source = source
        self.name = name
        self.takenAtMonotonicNanoseconds = takenAtMonotonicNanoseconds
        self.takenAtRealtimeNanoseconds = takenAtRealtimeNanoseconds
        self.readDurationNanoseconds = readDurationNanoseconds
        self.header = header
        self.requester = requester
        self.responder = responder
        self.process = process
        self.submission = submission
        self.completion = completion
        self.slots = slots
        self.isIntact = isIntact
        self.isStillLinked = isStillLinked
        self.ioUring = ioUring
    }

    /// The side status for `role`, if this source has sides.
    public func side(_ role: SideRole) -> SideStatus? {
        role == .requester ? requester : responder
    }

    /// The queue of `kind`.
    public func queue(_ kind: QueueKind) -> QueueStatus {
        kind == .submission ? submission : completion
    }

    /// The wait record of `kind`'s consumer or producer; nil for a 1.0 ring or a source
    /// without sides.
    public func waiter(_ kind: QueueKind, _ role: WaiterRole) -> WaiterStatus? {
        side(role == .consumer ? kind.consumer : kind.producer)?.waits?.first { $0.queue == kind && $0.role == role }
    }
}

/// The two queues of a ring pair (evering) or of an io_uring (SQ and CQ): the library's
/// `RingObserver.QueueKind` ("sq", "cq").
public typealias QueueKind = RingObserver.QueueKind

extension RingObserver.QueueKind {
    /// The side that consumes this queue (responder for SQ, requester for CQ).
    public var consumer: SideRole { self == .submission ? .responder : .requester }
    /// The side that produces into this queue.
    public var producer: SideRole { self == .submission ? .requester : .responder }
    public var label: String { self == .submission ? "submission" : "completion" }
}

/// The two sides of an evering ring: the library's `RingSide` (encoded by name).
public typealias SideRole = RingSide

/// Header fields of an evering object.
public struct HeaderStatus: Codable, Equatable, Sendable {
    public var abiMajor: UInt16
    public var abiMinor: UInt16
    public var totalSize: UInt64
    /// CLOCK_REALTIME ns of creation.
    public var createdAtNanoseconds: UInt64
    public var creatorPID: Int32
    /// Attached sides as counted in the header (0...2 in a healthy ring).
    public var refcount: UInt32
    public var flags: UInt32
    public var slotCount: UInt32
    public var bufferSize: UInt32

    public init(abiMajor: UInt16, abiMinor: UInt16, totalSize: UInt64, createdAtNanoseconds: UInt64,
                creatorPID: Int32, refcount: UInt32, flags: UInt32, slotCount: UInt32, bufferSize: UInt32) {
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.totalSize = totalSize
        self.createdAtNanoseconds = createdAtNanoseconds
        self.creatorPID = creatorPID
        self.refcount = refcount
        self.flags = flags
        self.slotCount = slotCount
        self.bufferSize = bufferSize
    }
}

/// Is the process behind a pid the one the ring recorded? The library's vocabulary, read
/// from the kernel (`ProcessIdentity.liveness`: kill(2) and the /proc/PID/stat state letter).
public typealias Liveness = ProcessIdentity.Liveness

/// One side of an evering ring.
public struct SideStatus: Codable, Equatable, Sendable {
    /// The library's side state (`RingObserver.SideInfo.State`, encoded by name).
    public typealias AttachState = RingObserver.SideInfo.State

    public var role: SideRole
    public var state: AttachState
    public var rawState: UInt32
    public var pid: Int32
    /// Field 22 of /proc/PID/stat as recorded by the side.
    public var startTime: UInt64
    /// Checked with kill(pid, 0) and the /proc start time; `.unknown` if never attached.
    public var liveness: Liveness
    /// Now minus the side's last heartbeat; nil when it never wrote one.
    public var heartbeatAgeNanoseconds: UInt64?
    /// CLOCK_REALTIME ns of the attach and the detach (0 when none).
    public var attachedAtNanoseconds: UInt64
    public var detachedAtNanoseconds: UInt64
    /// ABI 1.1: the pid in the side's owner word (the process that won the claim) while that
    /// process is present; nil for a 1.0 ring, an unowned side or a gone owner. A live side
    /// whose block names another pid was overwritten by a second process (`double-attach`).
    public var ownerPID: Int32?
    /// ABI 1.1: what the side advertises to its peer (`wakes-peer`, ...); nil for a 1.0 ring.
    /// Empty for a 1.0 side on a 1.1 ring (it never wakes its peer).
    public var capabilities: SideCapabilities?
    /// ABI 1.1: the side's two wait records, its consumer wait (on the queue it consumes)
    /// first, then its producer wait; nil for a 1.0 ring, which has none.
    public var waits: [WaiterStatus]?

    public init(role: SideRole, state: AttachState, rawState: UInt32, pid: Int32, startTime: UInt64,
                liveness: Liveness, heartbeatAgeNanoseconds: UInt64?, attachedAtNanoseconds: UInt64 = 0,
                detachedAtNanoseconds: UInt64 = 0, ownerPID: Int32? = nil, capabilities: SideCapabilities? = nil,
                waits: [WaiterStatus]? = nil) {
        self.ownerPID = ownerPID
        self.capabilities = capabilities
        self.waits = waits
        self.role = role
        self.state = state
        self.rawState = rawState
        self.pid = pid
        self.startTime = startTime
        self.liveness = liveness
        self.heartbeatAgeNanoseconds = heartbeatAgeNanoseconds
        self.attachedAtNanoseconds = attachedAtNanoseconds
        self.detachedAtNanoseconds = detachedAtNanoseconds
    }
}

/// The single process owning a ring, for sources like io_uring.
public struct ProcessStatus: Codable, Equatable, Sendable {
    public var pid: Int32
    public var command: String?
    public var liveness: Liveness

    public init(pid: Int32, command: String? = nil, liveness: Liveness) {
        self.pid = pid
        self.command = command
        self.liveness = liveness
    }
}

/// One queue's indices and counters.
public struct QueueStatus: Codable, Equatable, Sendable {
    public var kind: QueueKind
    /// Free-running count of dequeued entries (consumer-owned).
    public var head: UInt64
    /// Free-running count of enqueued entries (producer-owned).
    public var tail: UInt64
    public var capacity: UInt32
    /// `tail - head` with wrapping arithmetic, as read. Larger than `capacity` only in a
    /// corrupt ring (or a tail behind its head, which wraps to a huge number).
    public var used: UInt64
    /// `capacity - used`; negative when the queue is overfull (corrupt).
    public var free: Int64
    /// Times the producer found the queue full (nil if the source has no such counter).
    public var fullStalls: UInt64?
    /// Times the consumer blocked on an empty queue (nil if the source has no such counter).
    public var emptyWaits: UInt64?
    /// Head was read before and after the tail and had not moved, so (head, tail) is one
    /// instant's view. When false, `used` may overstate by the entries consumed meanwhile
    /// and must not be called corruption.
    public var isConsistent: Bool
    /// The entries at the head (what the consumer will take next), oldest first.
    public var pending: [QueueEntry]

    public init(kind: QueueKind, head: UInt64, tail: UInt64, capacity: UInt32, fullStalls: UInt64? = nil,
                emptyWaits: UInt64? = nil, isConsistent: Bool = true, pending: [QueueEntry] = []) {
        self.kind = kind
        self.head = head
        self.tail = tail
        self.capacity = capacity
        self.used = tail &- head
        self.free = Int64(capacity) - Int64(clamping: tail &- head)
        self.fullStalls = fullStalls
        self.emptyWaits = emptyWaits
        self.isConsistent = isConsistent
        self.pending = pending
    }

    /// More entries than slots in the array: impossible in a healthy ring.
    public var isOverfull: Bool { used > UInt64(capacity) }
    public var isFull: Bool { used == UInt64(capacity) }
    public var isEmpty: Bool { used == 0 }
    /// used / capacity (may exceed 1 when overfull).
    public var fill: Double { capacity == 0 ? 0 : Double(used) / Double(capacity) }
}

/// An entry waiting in a queue, and what it points to.
public struct QueueEntry: Codable, Equatable, Sendable {
    /// Free-running position in the queue (head, head+1, ...).
    public var position: UInt64
    /// The raw op id (evering: slot | generation << 32; io_uring: user_data).
    public var opID: UInt64
    public var opcode: UInt16
    /// Payload bytes (evering) or the SQE length / CQE result field (io_uring).
    public var length: UInt32
    public var userData: UInt64
    public var result: Int32
    /// The driver slot it names (evering), nil for sources without slots.
    public var slot: UInt32?
    public var generation: UInt32?
    /// The state of the slot it names, read just after the entry.
    public var slotState: ObservedSlotState?
    /// The slot's generation equals the entry's (the entry names the slot's current op).
    public var generationMatches: Bool?
    /// Now minus the slot's submission time, when known.
    public var ageNanoseconds: UInt64?
    /// The queue's head had not moved after the entry and its slot were read, so the entry
    /// was still unconsumed while we looked: safe to judge (a moved head means a race).
    public var isStable: Bool
    /// io_uring only: the SQE/CQE line's fields as the kernel printed them (opcode name, fd,
    /// flags...), for display; no rule reads them.
    public var details: [String: String]?

    public init(position: UInt64, opID: UInt64, opcode: UInt16, length: UInt32, userData: UInt64 = 0,
                result: Int32 = 0, slot: UInt32? = nil, generation: UInt32? = nil, slotState: ObservedSlotState? = nil,
                generationMatches: Bool? = nil, ageNanoseconds: UInt64? = nil, isStable: Bool = true,
                details: [String: String]? = nil) {
        self.position = position
        self.opID = opID
        self.opcode = opcode
        self.length = length
        self.userData = userData
        self.result = result
        self.slot = slot
        self.generation = generation
        self.slotState = slotState
        self.generationMatches = generationMatches
        self.ageNanoseconds = ageNanoseconds
        self.isStable = isStable
        self.details = details
    }

    /// `slot#generation` for evering entries, the hex op id otherwise.
    public var opLabel: String {
        if let slot, let generation { return "\(slot)#\(generation)" }
        return "0x" + String(opID, radix: 16)
    }
}

/// A slot's state as the inspector shows it: the ABI's `SlotState`, plus two states the
/// inspector derives and the ABI does not store:
/// - `completedInCQ`: the slot is still submitted/waiting/cancelled in the table, but its
///   completion entry (same op id: slot and generation) sits in the completion queue, so the
///   responder has done its part and the op waits for the requester to reap it;
/// - `unknown`: the stored value is none of the ABI's (corruption).
public enum ObservedSlotState: String, Codable, Sendable, CaseIterable {
    case free, submitted, waiting, completed, cancelled
    case completedInCQ = "completed-in-cq"
    case unknown

    /// The inspector's name for an ABI state (nil: a value the ABI does not define).
    public init(_ state: SlotState?) {
        switch state {
        case .free: self = .free
        case .submitted: self = .submitted
        case .waiting: self = .waiting
        case .completed: self = .completed
        case .cancelled: self = .cancelled
        case nil: self = .unknown
        }
    }

    public init(raw: UInt32) { self.init(SlotState(rawValue: raw)) }

    /// Submitted, waiting or cancelled (or completed in the CQ, not yet reaped): the slot is
    /// not back with the requester.
    public var isInFlight: Bool {
        self == .submitted || self == .waiting || self == .cancelled || self == .completedInCQ
    }

    /// In flight with the responder: submitted or waiting, and no completion queued yet.
    public var isAwaitingResponder: Bool { self == .submitted || self == .waiting }
}

/// The driver slot table: counts per state, and a record per slot that is not free.
public struct SlotTable: Codable, Equatable, Sendable {
    public struct Counts: Codable, Equatable, Sendable {
        public var free = 0
        public var submitted = 0
        public var waiting = 0
        public var completed = 0
        public var cancelled = 0
        /// In flight in the table, with their completion already in the completion queue
        /// (derived by the inspector; counted here instead of under their table state).
        public var completedInCQ = 0
        /// Slots holding a state value the ABI does not define.
        public var unknown = 0

        public init(free: Int = 0, submitted: Int = 0, waiting: Int = 0, completed: Int = 0, cancelled: Int = 0,
                    completedInCQ: Int = 0, unknown: Int = 0) {
            self.free = free
            self.submitted = submitted
            self.waiting = waiting
            self.completed = completed
            self.cancelled = cancelled
            self.completedInCQ = completedInCQ
            self.unknown = unknown
        }

        public subscript(state: ObservedSlotState) -> Int {
            get {
                switch state {
                case .free: free
                case .submitted: submitted
                case .waiting: waiting
                case .completed: completed
                case .cancelled: cancelled
                case .completedInCQ: completedInCQ
                case .unknown: unknown
                }
            }
            set {
                switch state {
                case .free: free = newValue
                case .submitted: submitted = newValue
                case .waiting: waiting = newValue
                case .completed: completed = newValue
                case .cancelled: cancelled = newValue
                case .completedInCQ: completedInCQ = newValue
                case .unknown: unknown = newValue
                }
            }
        }

        /// Submitted + waiting + cancelled + completed in the CQ.
        public var inFlight: Int { submitted + waiting + cancelled + completedInCQ }
        /// Submitted + waiting: ops the responder still owes a completion.
        public var awaitingResponder: Int { submitted + waiting }
        public var total: Int { free + submitted + waiting + completed + cancelled + completedInCQ + unknown }
    }

    /// One slot that is not free.
    public struct Record: Codable, Equatable, Sendable {
        public var index: UInt32
        public var state: ObservedSlotState
        public var rawState: UInt32
        public var generation: UInt32
        public var opcode: UInt16
        public var length: UInt32
        public var userData: UInt64
        /// Now minus the submission time (saturating at 0).
        public var ageNanoseconds: UInt64
        /// Completion minus submission for completed slots, else nil.
        public var latencyNanoseconds: UInt64?
        /// Now minus the completion time for completed slots (how long unreleased), else nil.
        public var completedAgeNanoseconds: UInt64?
        /// True when the requester kept rewriting the record through every seqlock copy: only
        /// `index` and the state from the state pass are known; the other fields are zero.
        /// Nil (absent in JSON) for a consistent record.
        public var isChanging: Bool?

        public init(index: UInt32, state: ObservedSlotState, rawState: UInt32, generation: UInt32, opcode: UInt16,
                    length: UInt32, userData: UInt64 = 0, ageNanoseconds: UInt64, latencyNanoseconds: UInt64? = nil,
                    completedAgeNanoseconds: UInt64? = nil, isChanging: Bool? = nil) {
            self.isChanging = isChanging
            self.index = index
            self.state = state
            self.rawState = rawState
            self.generation = generation
            self.opcode = opcode
            self.length = length
            self.userData = userData
            self.ageNanoseconds = ageNanoseconds
            self.latencyNanoseconds = latencyNanoseconds
            self.completedAgeNanoseconds = completedAgeNanoseconds
        }

        public var opLabel: String { "\(index)#\(generation)" }
    }

    public var slotCount: UInt32
    public var counts: Counts
    /// Every slot whose state is not free, by index. (Its state here comes from the full
    /// record read, so it may be newer than the count pass.)
    public var busy: [Record]

    public init(slotCount: UInt32, counts: Counts, busy: [Record]) {
        self.slotCount = slotCount
        self.counts = counts
        self.busy = busy
    }

    /// The in-flight records (submitted, waiting, cancelled), oldest first.
    public var inFlightOldestFirst: [Record] {
        busy.filter { $0.state.isInFlight }.sorted { $0.ageNanoseconds > $1.ageNanoseconds }
    }
}
