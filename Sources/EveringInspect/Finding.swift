/// One thing diagnosis found wrong with a ring: which rule, how bad, a one-line message a
/// user can act on, and the numbers behind it.
public struct Finding: Codable, Equatable, Sendable {
    /// The rules, with stable ids used in JSON and by scripts.
    public enum Rule: String, Codable, Sendable, CaseIterable {
        /// A queue is non-empty and its head has not moved for the stall timeout.
        case consumerStalled = "consumer-stalled"
        /// A queue has been full for the stall timeout.
        case producerBlocked = "producer-blocked"
        /// A side's process is gone while attached or while ops are in flight.
        case peerDead = "peer-dead"
        /// A live, attached side has not written its heartbeat for the timeout: it is hung
        /// (or blocked in the kernel, state D).
        case heartbeatStale = "heartbeat-stale"
        /// An attached side is stopped by a signal or a debugger (state T in /proc/PID/stat).
        case sideStopped = "side-stopped"
        /// Slots have been cancelled for longer than the timeout (their completions never came).
        case leakedCancellations = "leaked-cancellations"
        /// An op in flight far longer than the ring's recent typical latency.
        case oldInFlightOp = "old-in-flight-op"
        /// No free slot, and none freed for the stall timeout.
        case slotTableExhausted = "slot-table-exhausted"
        /// An invariant of the ABI is broken.
        case corruption
        /// More processes attached than a ring has sides: a refcount above 2, or a side block
        /// written by another process than its ABI 1.1 owner word names.
        case doubleAttach = "double-attach"
        /// ABI 1.1: a side asleep on a queue's futex while what it waits for is there (a
        /// consumer on a non-empty queue, a producer on one with space), unchanged in two
        /// samples at least `Diagnosis.lostWakeUpWindowSeconds` apart: its peer published
        /// without waking it.
        case lostWakeUp = "lost-wake-up"
        /// io_uring: the completion queue overflowed into the kernel's overflow list.
        case completionOverflow = "completion-overflow"
        /// The object was unlinked, replaced, or truncated while we watched.
        case ringGone = "ring-gone"
    }

    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case info, warning, critical

        var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .critical: 2
            }
        }

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Who is at fault: the side (or process) that must act for the condition to clear.
    /// Nil for conditions of the object itself (corruption, ring gone).
    public enum Party: String, Codable, Sendable, CaseIterable {
        case requester, responder
        /// The single process owning an io_uring.
        case process

        public init(_ side: SideRole) { self = side == .requester ? .requester : .responder }
    }

    public var rule: Rule
    public var severity: Severity
    /// The party at fault (see `Party`); incidents group findings by it.
    public var culprit: Party?
    /// What it is about: "sq", "cq", "requester", "responder", "slot 12", "header"...
    public var subject: String
    /// One line, says what is wrong and what to look at.
    public var message: String
    /// The numbers behind the message (seconds, counts, pids), by name.
    public var evidence: [String: Double]

    public init(rule: Rule, severity: Severity, subject: String, message: String, evidence: [String: Double] = [:],
                culprit: Party? = nil) {
        self.rule = rule
        self.severity = severity
        self.culprit = culprit
        self.subject = subject
        self.message = message
        self.evidence = evidence
    }
}

extension Finding {
    /// "rule subject": how alerts and incidents name a finding across samples.
    public var key: String { "\(rule.rawValue) \(subject)" }
}

/// The limits the rules judge against.
public struct Thresholds: Codable, Equatable, Sendable {
    /// How long a queue may sit non-empty with an unmoving head, or full, before it is a stall.
    public var stallTimeout: Double = 1.0
    /// How old a live side's heartbeat may be (sides beat every 50 ms).
    public var heartbeatTimeout: Double = 1.0
    /// How long a slot may stay cancelled before its completion is considered lost.
    public var cancellationTimeout: Double = 1.0
    /// An in-flight op is "old" when older than this many times the recent typical latency...
    public var inFlightLatencyFactor: Double = 10
    /// ...and older than this many seconds (so microsecond latencies do not flag a 1 ms op).
    public var inFlightMinimumAge: Double = 1.0

    public init(stallTimeout: Double = 1.0, heartbeatTimeout: Double? = nil, cancellationTimeout: Double? = nil,
                inFlightLatencyFactor: Double = 10, inFlightMinimumAge: Double? = nil) {
        self.stallTimeout = stallTimeout
        // Defaulted from the stall timeout, but never below five beats (0.25 s): a side that
        // beats every 50 ms on a busy machine is not hung because one beat came late.
        self.heartbeatTimeout = heartbeatTimeout ?? max(stallTimeout, Self.minimumDefaultHeartbeatTimeout)
        self.cancellationTimeout = cancellationTimeout ?? stallTimeout
        self.inFlightLatencyFactor = inFlightLatencyFactor
        self.inFlightMinimumAge = inFlightMinimumAge ?? stallTimeout
    }

    public static let `default` = Thresholds()
    /// Five 50 ms heartbeat intervals.
    public static let minimumDefaultHeartbeatTimeout = 0.25
}
