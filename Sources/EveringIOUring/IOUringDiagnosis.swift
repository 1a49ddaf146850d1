/// Rules over successive io_uring snapshots. Pure: history in, findings out.
///
/// Rule ids:
/// - `uring-process-gone`: the process exited (or its pid was reused), or closed the ring.
/// - `uring-sq-not-consumed`: submissions sit in the SQ and SqHead has not moved for the
///   stall timeout: without SQPOLL the application published them but never called
///   io_uring_enter; with SQPOLL the kernel thread is asleep waiting for a wakeup or stalled.
/// - `uring-cq-not-reaped`: completions sit in the CQ and CqHead has not moved for the stall
///   timeout: the application is not reaping.
/// - `uring-cq-overflow`: completions on the kernel's overflow list (the CQ was full).
/// - `uring-inconsistent-indices`: more pending than the queue holds (an application wrote a
///   bad SqTail or CqHead).
/// - `uring-state-unavailable` (info): the kernel printed no ring state (it only try-locks
///   the ring to print it); the next read usually has it.
/// An idle ring (nothing pending) and a busy ring whose heads keep moving give no findings.
public enum IOUringDiagnosis {
    public struct Thresholds: Equatable, Sendable {
        /// How long a non-empty queue's head may stay put before it counts as stuck.
        public var stallTimeoutNanoseconds: UInt64

        public init(stallTimeoutNanoseconds: UInt64 = 1_000_000_000) {
            self.stallTimeoutNanoseconds = stallTimeoutNanoseconds
        }
    }

    /// `history` is oldest first and ends with the snapshot being judged.
    public static func diagnose(_ history: [IOUringSnapshot], thresholds: Thresholds = Thresholds()) -> [IOUringFinding] {
        guard let current = history.last else { return [] }
        let pid = Int64(current.instance.pid)
        switch current.status {
        case .processGone:
            return [IOUringFinding(rule: "uring-process-gone", severity: .critical,
                                   message: "process \(current.instance.pid) (\(current.instance.command)) is gone; its io_uring no longer exists",
                                   evidence: [("pid", pid)])]
        case .ringClosed:
            return [IOUringFinding(rule: "uring-process-gone", severity: .critical,
                                   message: "process \(current.instance.pid) (\(current.instance.command)) closed io_uring fd \(current.instance.fd)",
                                   evidence: [("pid", pid), ("fd", Int64(current.instance.fd))])]
        case .live:
            break
        }
        let info = current.info
        guard info.hasRingSection else {
            return [IOUringFinding(rule: "uring-state-unavailable", severity: .info,
                                   message: "the kernel printed no ring state this time (it was busy with the ring); the next read usually has it")]
        }
        var findings: [IOUringFinding] = []
        let stallSeconds = String(format1: Double(thresholds.stallTimeoutNanoseconds) / 1e9)

        if let sq = info.submissionQueue {
            if sq.isInconsistent {
                findings.append(inconsistent("SQ", sq, hint: "the application wrote an SqTail beyond the ring"))
            } else if sq.pending > 0, let age = stallAge(history, \.submissionQueue), age >= thresholds.stallTimeoutNanoseconds {
                let who: String
                if info.usesSQPoll {
                    who = "the SQPOLL thread (tid \(info.sqThreadPID!)) has not consumed them: it is asleep waiting for a wakeup the application did not send (IORING_SQ_NEED_WAKEUP), or stalled"
                } else {
                    who = "the application published them but has not called io_uring_enter to submit"
                }
                findings.append(IOUringFinding(
                    rule: "uring-sq-not-consumed", severity: .warning,
                    message: "\(sq.pending) submission(s) waiting in the SQ for \(String(format1: Double(age) / 1e9)) s (SqHead stuck at \(sq.head), stall timeout \(stallSeconds) s): \(who)",
                    evidence: [("sq_pending", Int64(sq.pending)), ("sq_head", Int64(sq.head)), ("sq_tail", Int64(sq.tail)),
                               ("stalled_ms", Int64(age / 1_000_000)), ("sq_thread", Int64(info.sqThreadPID ?? -1))]))
            }
        }
        if let cq = info.completionQueue {
            if cq.isInconsistent {
                findings.append(inconsistent("CQ", cq, hint: "the application wrote a CqHead beyond the kernel's CqTail"))
            } else if cq.pending > 0, let age = stallAge(history, \.completionQueue), age >= thresholds.stallTimeoutNanoseconds {
                findings.append(IOUringFinding(
                    rule: "uring-cq-not-reaped", severity: .warning,
                    message: "\(cq.pending) completion(s) of \(cq.capacity) waiting in the CQ for \(String(format1: Double(age) / 1e9)) s (CqHead stuck at \(cq.head)): the application is not reaping completions",
                    evidence: [("cq_pending", Int64(cq.pending)), ("cq_capacity", Int64(cq.capacity)), ("cq_head", Int64(cq.head)),
                               ("stalled_ms", Int64(age / 1_000_000))]))
            }
        }
        if !info.overflow.isEmpty {
            let capacity = info.completionQueue.map { Int64($0.capacity) } ?? -1
            findings.append(IOUringFinding(
                rule: "uring-cq-overflow", severity: .critical,
                message: "\(info.overflow.count) completion(s) overflowed the CQ (capacity \(capacity)) and wait on the kernel's overflow list: reap faster or create the ring with a bigger CQ (IORING_SETUP_CQSIZE)",
                evidence: [("overflow", Int64(info.overflow.count)), ("cq_capacity", capacity)]))
        }
        return findings.sorted { $0.severity > $1.severity }
    }

    /// How long the queue has been non-empty with the same head, judged over the history:
    /// the time from the oldest snapshot of the unbroken run to the newest. Snapshots without
    /// ring state (the trylock case) neither extend nor break the run. Nil on a single read.
    static func stallAge(_ history: [IOUringSnapshot], _ queue: KeyPath<IOUringFDInfo, IOUringQueueState?>) -> UInt64? {
        guard let last = history.last, let head = last.info[keyPath: queue]?.head else { return nil }
        var oldest: UInt64?
        for snapshot in history.reversed() {
            guard snapshot.status == .live else { break }
            guard let state = snapshot.info[keyPath: queue] else { continue }
            guard state.head == head, state.pending > 0 else { break }
            oldest = snapshot.takenAtNanoseconds
        }
        guard let oldest, last.takenAtNanoseconds > oldest else { return nil }
        return last.takenAtNanoseconds - oldest
    }

    private static func inconsistent(_ name: String, _ queue: IOUringQueueState, hint: String) -> IOUringFinding {
        IOUringFinding(
            rule: "uring-inconsistent-indices", severity: .critical,
            message: "\(name) shows \(queue.pending) pending in a queue of \(queue.capacity) (head \(queue.head), tail \(queue.tail)): \(hint)",
            evidence: [("head", Int64(queue.head)), ("tail", Int64(queue.tail)), ("capacity", Int64(queue.capacity))])
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
