/// What a kernel io_uring read adds to the common `Snapshot`, typed: the io_uring rules
/// (`IOUringDiagnosis`) and reports read these fields, never strings. An evering ring has
/// its own typed parts instead (header, sides, slot table).
public struct IOUringDetails: Codable, Equatable, Sendable {
    /// Why a snapshot repeats the last known queues instead of fresh ones.
    public enum Gone: String, Codable, Sendable {
        /// The process exited (or its pid was reused).
        case processGone = "process-gone"
        /// The process is alive but closed the ring's fd.
        case ringClosed = "ring-closed"
    }

    /// The ring's fd in its process.
    public var fd: Int32
    /// Whether the ring uses an SQPOLL kernel thread; nil when the kernel did not say.
    public var sqPoll: Bool?
    /// The SQPOLL thread's tid and CPU (-1 or nil: none).
    public var sqThread: Int32?
    public var sqThreadCPU: Int32?
    /// Completions on the kernel's overflow list; nil when the kernel printed no such list.
    public var overflowCount: Int?
    /// user_data of the first overflowed completions (at most 8).
    public var overflowUserData: [UInt64]
    /// The kernel printed no ring state in this read (it only try-locks the ring): the
    /// queues repeat the last known state and must not be judged.
    public var stateUnavailable: Bool
    /// Set when the ring is gone; the queues are the last ones seen.
    public var gone: Gone?
    /// Every top-level fdinfo field as the kernel printed it (CachedSqHead, UserFiles, NAPI,
    /// SqWorkTime...), for display only: no rule reads these.
    public var fields: [String: String]

    public init(fd: Int32, sqPoll: Bool? = nil, sqThread: Int32? = nil, sqThreadCPU: Int32? = nil, overflowCount: Int? = nil,
                overflowUserData: [UInt64] = [], stateUnavailable: Bool = false, gone: Gone? = nil,
                fields: [String: String] = [:]) {
        self.fd = fd
        self.sqPoll = sqPoll
        self.sqThread = sqThread
        self.sqThreadCPU = sqThreadCPU
        self.overflowCount = overflowCount
        self.overflowUserData = overflowUserData
        self.stateUnavailable = stateUnavailable
        self.gone = gone
        self.fields = fields
    }
}
