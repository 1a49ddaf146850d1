import EveringInspect

/// The facts about a kernel io_uring that the common panels have no place for, as short
/// segments for the dashboard header's second row:
/// `setup SQPOLL,CQSIZE  thread 4496 cpu 0 idle 97%  overflow 0  files 2 bufs 0` (the SQPOLL
/// thread's tid, CPU and idle share), least telling last: the header drops what does not fit
/// from the end. Pure.
///
/// fdinfo does not print the setup flags; the ones it reveals are named: SQPOLL (a poller
/// thread exists) and CQSIZE (a CQ that is not twice the SQ, the kernel's default).
public enum IOUringSummary {
    public struct Segment: Equatable, Sendable {
        public var text: String
        /// Worth the eye: completions waiting on the overflow list.
        public var needsAttention: Bool

        public init(_ text: String, needsAttention: Bool = false) {
            self.text = text
            self.needsAttention = needsAttention
        }
    }

    public static func segments(_ snapshot: Snapshot) -> [Segment] {
        guard snapshot.source == .ioUring, let ring = snapshot.ioUring else { return [] }
        let fields = ring.fields
        var segments: [Segment] = []
        let sqThread = Int(ring.sqThread ?? -1)
        var flags: [String] = []
        if sqThread > 0 { flags.append("SQPOLL") }
        let sq = snapshot.submission.capacity
        let cq = snapshot.completion.capacity
        if sq > 0, cq > 0, UInt64(cq) != 2 * UInt64(sq) { flags.append("CQSIZE") }
        segments.append(Segment("setup " + (flags.isEmpty ? "-" : flags.joined(separator: ","))))
        if sqThread > 0 {
            var poller = "thread \(sqThread)"
            if let cpu = ring.sqThreadCPU, cpu >= 0 { poller += " cpu \(cpu)" }
            if let idle = idlePercent(work: fields["SqWorkTime"], total: fields["SqTotalTime"]) { poller += " idle \(idle)%" }
            segments.append(Segment(poller))
        }
        let overflow = ring.overflowCount
        segments.append(Segment("overflow \(overflow.map(String.init) ?? "-")", needsAttention: (overflow ?? 0) > 0))
        segments.append(Segment("files \(fields["UserFiles"] ?? "-") bufs \(fields["UserBufs"] ?? "-")"))
        return segments
    }

    /// The SQPOLL thread's time asleep as a whole percent of its life (fdinfo's SqWorkTime of
    /// SqTotalTime, µs, newer kernels); nil when either is missing or the total is 0.
    static func idlePercent(work: String?, total: String?) -> Int? {
        guard let work = work.flatMap({ UInt64($0) }), let total = total.flatMap({ UInt64($0) }), total > 0 else { return nil }
        let busy = min(work, total)
        return Int((Double(total - busy) * 100 / Double(total)).rounded(.down))
    }
}
