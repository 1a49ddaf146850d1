import EveringInspect

/// The inspector's rules adapted to io_uring. Pure: (history, current snapshot, thresholds)
/// in, findings out. The kernel is one side of each queue, the application the other:
///
/// | rule (subject) | io_uring meaning |
/// |---|---|
/// | ring-gone (process) | the process exited (or its pid was reused): its io_uring is gone with it. Not peer-dead: a process that exits is the normal end of an io_uring |
/// | ring-gone (ring) | the process closed the ring fd |
/// | consumer-stalled (sq) | SQEs published, SqHead unmoved for the stall timeout: without SQPOLL the application never called io_uring_enter; with SQPOLL the kernel thread sleeps waiting for a wakeup, or is stalled |
/// | consumer-stalled (cq) | CQEs posted, CqHead unmoved for the stall timeout: the application is not reaping |
/// | completion-overflow (cq) | completions on the kernel's overflow list (the CQ was full) |
/// | corruption (sq/cq) | more pending than the queue holds: the application wrote a bad SqTail or CqHead |
///
/// An idle ring (nothing pending) and a busy ring whose heads keep moving give no findings.
/// Snapshots in which the kernel printed no ring state (`ring_state_unavailable`) judge
/// nothing about the queues.
public enum IOUringDiagnosis {
    /// Same shape as `Diagnosis.diagnose`: `history` is the sampler's history, oldest first;
    /// it may or may not already end with `current` (samples not older than it are ignored).
    public static func diagnose(_ current: Snapshot, history: [Sample] = [], thresholds: Thresholds = .default) -> [Finding] {
        let details = current.ioUring ?? IOUringDetails(fd: -1)
        let pid = Double(current.process?.pid ?? 0)
        let command = current.process?.command ?? "?"
        if let liveness = current.process?.liveness, liveness.isGone {
            let why = liveness == .pidReused ? "exited (its pid now belongs to another process)" : "exited"
            return [Finding(rule: .ringGone, severity: .warning, subject: "process",
                            message: "process \(Int(pid)) (\(command)) \(why); its io_uring is gone with it (the last state read is shown)",
                            evidence: ["pid": pid])]
        }
        if details.gone == .ringClosed {
            return [Finding(rule: .ringGone, severity: .warning, subject: "ring",
                            message: "process \(Int(pid)) (\(command)) closed io_uring fd \(details.fd)",
                            evidence: ["pid": pid])]
        }
        if details.stateUnavailable { return [] }

        var findings: [Finding] = []
        let earlier = history.filter { $0.time < current.takenAtMonotonicNanoseconds }
        let stallSeconds = thresholds.stallTimeout

        let sq = current.submission
        if sq.isOverfull {
            findings.append(corruption(sq, hint: "the application wrote an SqTail beyond the ring"))
        } else if !sq.isEmpty, let age = stallAge(earlier, current, \.submission), age >= stallSeconds {
            let sqThread = Int(details.sqThread ?? -1)
            let why = details.sqPoll == true
                ? "the SQPOLL thread (tid \(sqThread)) has not taken them: it sleeps waiting for a wakeup the application did not send (IORING_SQ_NEED_WAKEUP), or it is stalled"
                : "the application published them but has not called io_uring_enter to submit them"
            findings.append(Finding(
                rule: .consumerStalled, severity: .warning, subject: "sq",
                message: "\(sq.used) submission(s) unconsumed in the SQ for \(seconds(age)) (SqHead stuck at \(sq.head % (1 << 32))): \(why)",
                evidence: ["used": Double(sq.used), "stalledSeconds": age, "stallTimeoutSeconds": stallSeconds,
                           "sqThread": Double(sqThread)], culprit: .process))
        }

        let cq = current.completion
        if cq.isOverfull {
            findings.append(corruption(cq, hint: "the application wrote a CqHead beyond the kernel's CqTail"))
        } else if !cq.isEmpty, let age = stallAge(earlier, current, \.completion), age >= stallSeconds {
            findings.append(Finding(
                rule: .consumerStalled, severity: .warning, subject: "cq",
                message: "\(cq.used) of \(cq.capacity) completion(s) unreaped in the CQ for \(seconds(age)) (CqHead stuck at \(cq.head % (1 << 32))): the application is not reaping completions",
                evidence: ["used": Double(cq.used), "capacity": Double(cq.capacity), "stalledSeconds": age,
                           "stallTimeoutSeconds": stallSeconds], culprit: .process))
        }

        if let overflow = details.overflowCount, overflow > 0 {
            findings.append(Finding(
                rule: .completionOverflow, severity: .warning, subject: "cq",
                message: "\(overflow) completion(s) overflowed the CQ (capacity \(cq.capacity)) and wait on the kernel's overflow list: reap faster, or create the ring with a bigger CQ (IORING_SETUP_CQSIZE)",
                evidence: ["overflow": Double(overflow), "capacity": Double(cq.capacity)], culprit: .process))
        }
        return findings.sorted { $0.severity > $1.severity }
    }

    /// Seconds the queue has been non-empty with the head it has now, measured from the
    /// oldest sample of the unbroken run up to `current`. Nil without an earlier sample.
    static func stallAge(_ earlier: [Sample], _ current: Snapshot, _ queue: KeyPath<Snapshot, QueueStatus>) -> Double? {
        let head = current[keyPath: queue].head
        let sampleQueue: KeyPath<Sample, QueueSample> = queue == \Snapshot.submission ? \.submission : \.completion
        var oldest: UInt64?
        for sample in earlier.reversed() {
            let q = sample[keyPath: sampleQueue]
            guard q.head == head, q.used > 0 else { break }
            oldest = sample.time
        }
        guard let oldest else { return nil }
        return Double(current.takenAtMonotonicNanoseconds - oldest) / 1e9
    }

    private static func corruption(_ queue: QueueStatus, hint: String) -> Finding {
        Finding(rule: .corruption, severity: .critical, subject: queue.kind.rawValue,
                message: "\(queue.kind.rawValue.uppercased()) shows \(queue.used) pending in a queue of \(queue.capacity): \(hint)",
                evidence: ["used": Double(queue.used), "capacity": Double(queue.capacity)])
    }

    private static func seconds(_ value: Double) -> String { Formatting.duration(seconds: value) }
}
