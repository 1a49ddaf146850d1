/// Names one operation: its driver slot and the slot's generation at allocation, so a
/// late or forged completion for a reused slot is recognised as stale.
public struct OpID: Hashable, Sendable, CustomStringConvertible {
    /// slot index in the low 32 bits, generation in the high 32 bits (ABI `op_id`).
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(slot: UInt32, generation: UInt32) {
        rawValue = UInt64(slot) | UInt64(generation) << 32
    }

    @inlinable public var slot: UInt32 { UInt32(truncatingIfNeeded: rawValue) }
    @inlinable public var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    /// `slot#generation`, the form the inspector prints.
    public var description: String { "\(slot)#\(generation)" }
}

/// Lifecycle of a driver slot (ABI `ev_slot.state`).
public enum SlotState: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case free = 0
    /// Published to the submission queue; nobody is waiting on it yet.
    case submitted = 1
    /// The requester is blocked or suspended until it completes.
    case waiting = 2
    /// Its completion arrived; the result is held until the requester releases it.
    case completed = 3
    /// The requester gave up on it; the slot (and its buffer) stay pinned until the
    /// completion arrives, because the responder may still be writing the buffer.
    case cancelled = 4

    public var description: String {
        switch self {
        case .free: "free"
        case .submitted: "submitted"
        case .waiting: "waiting"
        case .completed: "completed"
        case .cancelled: "cancelled"
        }
    }

    /// Submitted, waiting or cancelled: the responder may still hold the op.
    public var isInFlight: Bool { self == .submitted || self == .waiting || self == .cancelled }
}

/// What the requester learns when an op finishes.
public struct Completion: Sendable, Equatable {
    public var op: OpID
    public var opcode: UInt16
    /// The responder's status: 0 for success, a negative errno otherwise.
    public var result: Int32
    /// Bytes of response payload in the op's buffer.
    public var length: Int
    public var userData: UInt64
    /// CLOCK_MONOTONIC ns from submission to the completion being reaped.
    public var latencyNanoseconds: UInt64

    @inlinable
    public init(op: OpID, opcode: UInt16, result: Int32, length: Int, userData: UInt64, latencyNanoseconds: UInt64) {
        self.op = op
        self.opcode = opcode
        self.result = result
        self.length = length
        self.userData = userData
        self.latencyNanoseconds = latencyNanoseconds
    }
}
