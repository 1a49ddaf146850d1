import EveringInspect

/// Turns one parsed fdinfo into the inspector's source-neutral `Snapshot`. Pure.
///
/// The kernel's indices are u32 counters that wrap; the inspector's are free-running u64.
/// `head64` extends SqHead/CqHead (the caller tracks wraps across reads, see
/// `IOUringIndexWidener`), and the tail is placed at `head64 + (tail - head)` computed in
/// u32, exactly as the kernel computes the number of pending entries. An impossible tail (more
/// pending than the queue holds) stays impossible, so diagnosis calls it corruption.
public enum IOUringSnapshot {
    public struct Widened: Equatable, Sendable {
        public var sqHead: UInt64
        public var cqHead: UInt64
        public init(sqHead: UInt64, cqHead: UInt64) {
            self.sqHead = sqHead
            self.cqHead = cqHead
        }
    }

    /// Builds a snapshot of a live read. Returns nil when `info` has no usable ring state
    /// (trylock case or garbage), so the caller can retry or reuse the previous queues.
    public static func make(instance: IOUringInstance, info: IOUringFDInfo, liveness: Liveness,
                            takenAt monotonic: UInt64, realtime: UInt64 = 0, readDuration: UInt64 = 0,
                            widened: Widened? = nil, pendingLimit: Int = 8) -> Snapshot? {
        guard let sq = info.submissionQueue, let cq = info.completionQueue else { return nil }
        let sqHead = widened?.sqHead ?? UInt64(sq.head)
        let cqHead = widened?.cqHead ?? UInt64(cq.head)
        let submission = QueueStatus(kind: .submission, head: sqHead, tail: sqHead &+ UInt64(sq.pending),
                                     capacity: sq.capacity,
                                     pending: entries(info.sqes.prefix(pendingLimit), from: sqHead, isCompletion: false))
        let completion = QueueStatus(kind: .completion, head: cqHead, tail: cqHead &+ UInt64(cq.pending),
                                     capacity: cq.capacity,
                                     pending: entries(info.cqes.prefix(pendingLimit), from: cqHead, isCompletion: true))
        return Snapshot(source: .ioUring, name: instance.target.description, takenAtMonotonicNanoseconds: monotonic,
                        takenAtRealtimeNanoseconds: realtime, readDurationNanoseconds: readDuration,
                        process: ProcessStatus(pid: instance.pid, command: instance.command, liveness: liveness),
                        submission: submission, completion: completion, ioUring: details(info, instance: instance))
    }

    /// Entry lines as queue entries: positions count from the (widened) head; the fdinfo
    /// fields stay available as text in `details`.
    static func entries(_ lines: ArraySlice<IOUringEntry>, from head: UInt64, isCompletion: Bool) -> [QueueEntry] {
        lines.enumerated().map { offset, line in
            var details: [String: String] = [:]
            for field in line.fields { details[field.key] = field.value }
            let userData = line.userData ?? 0
            return QueueEntry(position: head &+ UInt64(offset), opID: userData,
                              opcode: isCompletion ? 0 : IOUringOpcode.number(line.opcode ?? ""),
                              length: 0, userData: userData,
                              result: isCompletion ? Int32(clamping: line.result ?? 0) : 0,
                              details: details)
        }
    }

    static func details(_ info: IOUringFDInfo, instance: IOUringInstance) -> IOUringDetails {
        var fields: [String: String] = [:]
        for field in info.fields where !field.value.isEmpty { fields[field.key] = field.value }
        return IOUringDetails(
            fd: instance.fd, sqPoll: info.sqThreadPID == nil ? nil : info.usesSQPoll, sqThread: info.sqThreadPID,
            sqThreadCPU: info.sqThreadCPU,
            overflowCount: info.overflowListPresent || !info.overflow.isEmpty ? info.overflow.count : nil,
            overflowUserData: info.overflow.prefix(8).compactMap(\.userData), fields: fields)
    }
}

/// Extends the kernel's wrapping u32 heads to free-running u64 across successive reads, so
/// rates and "head unchanged" comparisons keep working when a busy ring passes 2^32.
/// Correct as long as a head moves less than 2^32 between two reads.
public struct IOUringIndexWidener: Sendable {
    private var last: (sq: UInt32, cq: UInt32, wide: IOUringSnapshot.Widened)?

    public init() {}

    public mutating func widen(_ info: IOUringFDInfo) -> IOUringSnapshot.Widened? {
        guard let sq = info.sqHead, let cq = info.cqHead else { return nil }
        guard let last else {
            let wide = IOUringSnapshot.Widened(sqHead: UInt64(sq), cqHead: UInt64(cq))
            self.last = (sq, cq, wide)
            return wide
        }
        let wide = IOUringSnapshot.Widened(sqHead: last.wide.sqHead &+ UInt64(sq &- last.sq),
                                           cqHead: last.wide.cqHead &+ UInt64(cq &- last.cq))
        self.last = (sq, cq, wide)
        return wide
    }
}
