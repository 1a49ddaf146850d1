/// What the kernel says about one io_uring in /proc/PID/fdinfo/FD, parsed from its text.
///
/// The format is a debugging aid, not an ABI: fields come and go across kernel versions
/// (CachedSqHead arrived in 5.16, SqTotalTime and NAPI later), entry lines change shape, and
/// when the kernel cannot take the ring's lock (it only *tries*, to avoid a deadlock) the
/// whole io_uring section is missing. So every field is optional, unknown fields are kept
/// in `fields`, and lines that do not parse are counted in `unparsedLines` instead of
/// throwing. Parsing never traps, whatever the text.
///
/// ```swift
/// let info = IOUringFDInfo(parsing: text)
/// if let sq = info.submissionQueue { print(sq.pending, "of", sq.capacity) }
/// ```
public struct IOUringFDInfo: Equatable, Sendable {
    /// Every top-level `Key:\tvalue` line in order, including fields this parser does not know.
    public var fields: [Field] = []
    /// The SQ indices as the kernel printed them (u32, wrapping). SqTail is written by the
    /// application, SqHead by the kernel when it consumes entries.
    public var sqMask: UInt32?
    public var sqHead: UInt32?
    public var sqTail: UInt32?
    public var cachedSqHead: UInt32?
    /// The CQ indices: CqTail is written by the kernel, CqHead by the application when it reaps.
    public var cqMask: UInt32?
    public var cqHead: UInt32?
    public var cqTail: UInt32?
    public var cachedCqTail: UInt32?
    /// The counts from the `SQEs: N` and `CQEs: N` headers, and the entry lines below them.
    public var sqeCount: Int?
    public var sqes: [IOUringEntry] = []
    public var cqeCount: Int?
    public var cqes: [IOUringEntry] = []
    /// The SQPOLL kernel thread's pid and CPU; -1 (or absent) when the ring has none.
    public var sqThreadPID: Int32?
    public var sqThreadCPU: Int32?
    /// Microseconds the SQPOLL thread has existed / spent working (newer kernels).
    public var sqTotalTime: UInt64?
    public var sqWorkTime: UInt64?
    /// Registered files and buffers.
    public var userFiles: Int?
    public var userBuffers: Int?
    /// Requests armed for polling, one raw line each (`op=N, task_works=N`, format varies).
    public var pollList: [String] = []
    /// Completions the CQ had no room for, waiting on the kernel's overflow list.
    public var overflow: [IOUringEntry] = []
    /// Whether the `CqOverflowList:` header itself was present (absent: unknown, not empty).
    public var overflowListPresent = false
    /// `disabled`, `enabled`, or whatever a future kernel prints.
    public var napi: String?
    /// Lines that matched no known shape (kept as text for `--verbose` style output and tests).
    public var unparsedLines: [String] = []

    public struct Field: Equatable, Sendable {
        public var key: String
        public var value: String
    }

    public init() {}

    /// True when the kernel printed the ring part at all. False in the trylock case (or on a
    /// kernel too old to print the indices): only the generic pos/flags/mnt_id/ino lines.
    public var hasRingSection: Bool { sqHead != nil || sqTail != nil || cqHead != nil || cqTail != nil }

    /// The submission queue: application produces (SqTail), kernel consumes (SqHead).
    public var submissionQueue: IOUringQueueState? {
        IOUringQueueState(mask: sqMask, head: sqHead, tail: sqTail)
    }

    /// The completion queue: kernel produces (CqTail), application consumes (CqHead).
    public var completionQueue: IOUringQueueState? {
        IOUringQueueState(mask: cqMask, head: cqHead, tail: cqTail)
    }

    /// Whether the ring uses a kernel SQPOLL thread (consumes the SQ without io_uring_enter).
    public var usesSQPoll: Bool { (sqThreadPID ?? -1) > 0 }

    /// The value of a top-level field by its exact key, e.g. `field("NAPI")`.
    public func field(_ key: String) -> String? {
        fields.first { $0.key == key }?.value
    }
}

/// One queue's indices, with the arithmetic done the way the kernel does it: u32 counters
/// that wrap, a power-of-two size, pending = tail - head (wrapping).
public struct IOUringQueueState: Equatable, Sendable {
    public var capacity: UInt32
    public var head: UInt32
    public var tail: UInt32

    /// Nil unless head, tail and mask are all known and the mask is 2^k - 1.
    public init?(mask: UInt32?, head: UInt32?, tail: UInt32?) {
        guard let mask, let head, let tail, mask != UInt32.max, (mask & (mask &+ 1)) == 0 else { return nil }
        self.capacity = mask &+ 1
        self.head = head
        self.tail = tail
    }

    public init(capacity: UInt32, head: UInt32, tail: UInt32) {
        self.capacity = capacity
        self.head = head
        self.tail = tail
    }

    /// Entries produced and not yet consumed. Wrapping subtraction: the counters are u32.
    public var pending: UInt32 { tail &- head }
    /// More pending than the ring can hold: the indices are corrupt (an application can write
    /// any SqTail or CqHead it likes) or were read mid-update.
    public var isInconsistent: Bool { pending > capacity }
    public var free: UInt32 { isInconsistent ? 0 : capacity - pending }
    public var isFull: Bool { pending == capacity }
}

/// One entry line under `SQEs:`, `CQEs:` or `CqOverflowList:`, e.g.
/// `    3: opcode:NOP, fd:-1, flags:0, ..., user_data:2000` or `  user_data=4000, res=0, flags=0`.
/// Fields are kept as text by key; the common ones have typed accessors.
public struct IOUringEntry: Equatable, Sendable {
    /// The ring index the kernel printed (absent on overflow lines).
    public var index: UInt32?
    public var fields: [IOUringFDInfo.Field]

    public init(index: UInt32?, fields: [IOUringFDInfo.Field]) {
        self.index = index
        self.fields = fields
    }

    public func value(_ key: String) -> String? { fields.first { $0.key == key }?.value }

    /// `NOP`, `READV`, ... on kernels that print names; a number on older ones.
    public var opcode: String? { value("opcode") }
    public var userData: UInt64? { value("user_data").flatMap(FDInfoNumber.unsigned) }
    public var fd: Int64? { value("fd").flatMap(FDInfoNumber.signed) }
    /// A CQE's result: bytes transferred, or -errno.
    public var result: Int64? { value("res").flatMap(FDInfoNumber.signed) }
    public var flags: UInt64? { (value("flags") ?? value("flag")).flatMap(FDInfoNumber.unsigned) }
}

/// Numbers as fdinfo prints them: decimal, or hex with 0x.
enum FDInfoNumber {
    static func unsigned(_ text: some StringProtocol) -> UInt64? {
        let t = text.trimmingSpaces
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t)
    }

    static func signed(_ text: some StringProtocol) -> Int64? {
        let t = text.trimmingSpaces
        if t.hasPrefix("-") { return Int64(t) }
        return unsigned(t).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
    }

    static func u32(_ text: some StringProtocol) -> UInt32? {
        unsigned(text).flatMap { $0 <= UInt64(UInt32.max) ? UInt32($0) : nil }
    }

    /// A non-negative count such as `SQEs: 3`.
    static func count(_ text: some StringProtocol) -> Int? {
        unsigned(text).flatMap { Int(exactly: $0) }
    }

    static func i32(_ text: some StringProtocol) -> Int32? {
        signed(text).flatMap { Int32(exactly: $0) }
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return Substring() }
        let last = s.lastIndex(where: { !$0.isWhitespace })!
        return Substring(s[first...last])
    }
}
