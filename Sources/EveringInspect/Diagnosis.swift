/// The stuck-ring rules: pure functions of (recent history, current snapshot, thresholds).
///
/// Rules that need time ("head unchanged for 1 s") look at the history of samples; some
/// also have a single-snapshot form from the ring's own timestamps (an entry at the
/// submission head whose op was submitted 3 s ago has waited 3 s), so `dump` can diagnose
/// from one read. A rule that cannot be judged says nothing: no finding means "no evidence
/// of a problem", and a healthy busy ring or an idle one must produce none.
///
///     let findings = Diagnosis.diagnose(snapshot, history: sampler.history, thresholds: .init(stallTimeout: 2))
public enum Diagnosis {
    /// Runs every rule. `history` is the sampler's history, oldest first; it may or may
    /// not already contain the sample of `snapshot` (samples at or after its time are ignored).
    public static func diagnose(_ snapshot: Snapshot, history: [Sample] = [], thresholds: Thresholds = .default) -> [Finding] {
        let now = snapshot.takenAtMonotonicNanoseconds
        var samples = history.filter { $0.time < now }
        samples.append(Sample(snapshot))
        let context = Context(snapshot: snapshot, samples: samples, thresholds: thresholds)

        var findings: [Finding] = []
        findings += ringGone(context)
        findings += corruption(context)
        findings += peerDead(context)
        findings += heartbeatStale(context)
        let blocked = QueueKind.allCases.compactMap { producerBlocked($0, context) }
        findings += blocked
        for kind in QueueKind.allCases where !blocked.contains(where: { $0.subject == kind.rawValue }) {
            if let finding = consumerStalled(kind, context) { findings.append(finding) }
        }
        findings += leakedCancellations(context)
        // An old op is already explained when its queue's consumer is stuck or its peer is dead.
        let explained = findings.contains {
            ($0.rule == .consumerStalled || $0.rule == .producerBlocked) && $0.subject == QueueKind.submission.rawValue
                || $0.rule == .peerDead
        }
        if !explained { findings += oldInFlightOp(context) }
        findings += slotTableExhausted(context)
        return findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }

    /// What the rules share: the snapshot, the samples up to and including it, and limits.
    struct Context {
        var snapshot: Snapshot
        /// Oldest first; the last one is the current snapshot's.
        var samples: [Sample]
        var thresholds: Thresholds
        var now: UInt64 { snapshot.takenAtMonotonicNanoseconds }

        /// Seconds for which `holds` has been true in every sample back from the current
        /// one (0 when it does not hold now). Counted from the oldest sample of the run.
        func secondsHolding(_ holds: (Sample) -> Bool) -> Double {
            var oldest: UInt64?
            for sample in samples.reversed() {
                guard holds(sample) else { break }
                oldest = sample.time
            }
            guard let oldest else { return 0 }
            return seconds(now - oldest)
        }

        /// The oldest sample of the run in which `holds` has been true (current included).
        func runStart(_ holds: (Sample) -> Bool) -> Sample? {
            var start: Sample?
            for sample in samples.reversed() {
                guard holds(sample) else { break }
                start = sample
            }
            return start
        }

        /// Mean latency over the recent history by Little's law: mean ops in flight divided
        /// by completions reaped per second. Nil without enough history or completions.
        var typicalLatencySeconds: Double? {
            let window = samples.filter { now - $0.time <= 10 * 1_000_000_000 }
            guard let first = window.first, let last = window.last, last.time > first.time,
                  last.completion.head > first.completion.head else { return nil }
            let inFlight = window.compactMap { $0.slotCounts.map { Double($0.submitted + $0.waiting) } }
            guard !inFlight.isEmpty else { return nil }
            let rate = Double(last.completion.head - first.completion.head) / seconds(last.time - first.time)
            let meanInFlight = inFlight.reduce(0, +) / Double(inFlight.count)
            return max(meanInFlight, 1) / rate
        }
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }

    static func format(seconds: Double) -> String {
        if seconds >= 1 { return String(format1: seconds) + " s" }
        if seconds >= 1e-3 { return String(format1: seconds * 1e3) + " ms" }
        return String(format1: seconds * 1e6) + " µs"
    }

    static func sideLabel(_ side: SideStatus) -> String { "\(side.role.rawValue) (pid \(side.pid))" }

    // MARK: rules

    static func ringGone(_ c: Context) -> [Finding] {
        if !c.snapshot.isIntact {
            return [Finding(rule: .ringGone, severity: .critical, subject: "object",
                            message: "\(c.snapshot.name) was truncated under us; no further reads are possible")]
        }
        if !c.snapshot.isStillLinked {
            return [Finding(rule: .ringGone, severity: .warning, subject: "object",
                            message: "\(c.snapshot.name) was unlinked or replaced; showing the old object, which new processes cannot attach to")]
        }
        return []
    }

    static func corruption(_ c: Context) -> [Finding] {
        var findings: [Finding] = []
        let s = c.snapshot
        for queue in [s.submission, s.completion] where queue.isConsistent && queue.isOverfull {
            findings.append(Finding(
                rule: .corruption, severity: .critical, subject: queue.kind.rawValue,
                message: "\(queue.kind.label) queue holds \(queue.used) entries but has room for \(queue.capacity) (head \(queue.head), tail \(queue.tail)): its indices are corrupt",
                evidence: ["head": Double(queue.head), "tail": Double(queue.tail), "used": Double(queue.used),
                           "capacity": Double(queue.capacity)]))
        }
        if let slots = s.slots, slots.counts.unknown > 0 {
            let example = slots.busy.first { $0.state == .unknown }
            let detail = example.map { ", e.g. slot \($0.index) holds \($0.rawState)" } ?? ""
            findings.append(Finding(
                rule: .corruption, severity: .critical, subject: "slots",
                message: "\(slots.counts.unknown) slot(s) hold a state the ABI does not define\(detail): the slot table is corrupt",
                evidence: ["unknownSlots": Double(slots.counts.unknown)]))
        }
        for side in [s.requester, s.responder].compactMap({ $0 }) where side.state == .unknown {
            findings.append(Finding(
                rule: .corruption, severity: .critical, subject: side.role.rawValue,
                message: "the \(side.role.rawValue) block's state holds \(side.rawState), which is not never/attached/detached",
                evidence: ["rawState": Double(side.rawState)]))
        }
        if let slots = s.slots {
            for queue in [s.submission, s.completion] {
                for entry in queue.pending where entry.isStable {
                    if let problem = entryProblem(entry, slotCount: slots.slotCount) {
                        findings.append(Finding(
                            rule: .corruption, severity: .critical, subject: queue.kind.rawValue,
                            message: "the \(queue.kind.label) entry at position \(entry.position) names op \(entry.opLabel), \(problem)",
                            evidence: ["position": Double(entry.position), "slot": Double(entry.slot ?? 0),
                                       "generation": Double(entry.generation ?? 0)]))
                        break  // one per queue: the rest usually repeat it
                    }
                }
            }
        }
        return findings
    }

    /// Why an unconsumed entry cannot be right, or nil. An entry still in either queue
    /// names an op whose slot is in flight with the same generation: slots only move on
    /// when the requester reaps the completion, after the entry left the queue.
    static func entryProblem(_ entry: QueueEntry, slotCount: UInt32) -> String? {
        guard let slot = entry.slot else { return nil }
        if slot >= slotCount { return "but the slot table has only \(slotCount) slots" }
        if entry.generationMatches == false { return "but slot \(slot) is at another generation (stale or forged op id)" }
        if let state = entry.slotState, !state.isInFlight { return "but slot \(slot) is \(state.rawValue)" }
        return nil
    }

    static func peerDead(_ c: Context) -> [Finding] {
        let s = c.snapshot
        var findings: [Finding] = []
        let inFlight = s.slots?.counts.inFlight ?? 0
        for side in [s.requester, s.responder].compactMap({ $0 }) where side.state != .never && side.liveness.isGone {
            let how = side.liveness == .pidReused ? "is gone (pid \(side.pid) now belongs to another process)" : "is gone"
            let evidence: [String: Double] = ["pid": Double(side.pid), "inFlight": Double(inFlight)]
            if side.state == .attached {
                findings.append(Finding(
                    rule: .peerDead, severity: .critical, subject: side.role.rawValue,
                    message: "the \(sideLabel(side)) \(how) but is still attached; \(inFlight) op(s) in flight will not complete: restart it or unlink the ring",
                    evidence: evidence))
            } else if inFlight > 0 {
                findings.append(Finding(
                    rule: .peerDead, severity: .critical, subject: side.role.rawValue,
                    message: "the \(sideLabel(side)) detached and \(how) with \(inFlight) op(s) still in flight",
                    evidence: evidence))
            }
        }
        if let process = s.process, process.liveness.isGone {
            findings.append(Finding(rule: .peerDead, severity: .critical, subject: "process",
                                    message: "process \(process.pid) owning \(s.name) is gone",
                                    evidence: ["pid": Double(process.pid)]))
        }
        return findings
    }

    static func heartbeatStale(_ c: Context) -> [Finding] {
        let s = c.snapshot
        return [s.requester, s.responder].compactMap { side -> Finding? in
            guard let side, side.state == .attached, side.liveness == .alive,
                  let age = side.heartbeatAgeNanoseconds, seconds(age) > c.thresholds.heartbeatTimeout else { return nil }
            return Finding(
                rule: .heartbeatStale, severity: .warning, subject: side.role.rawValue,
                message: "the \(sideLabel(side)) is alive but its heartbeat is \(format(seconds: seconds(age))) old: it is hung or stopped (check it with gdb -p \(side.pid) or SIGCONT)",
                evidence: ["pid": Double(side.pid), "heartbeatAgeSeconds": seconds(age)])
        }
    }

    static func producerBlocked(_ kind: QueueKind, _ c: Context) -> Finding? {
        let queue = c.snapshot.queue(kind)
        guard queue.isConsistent, queue.isFull else { return nil }
        guard let start = c.runStart({ $0.queue(kind).isFull && $0.queue(kind).isConsistent }) else { return nil }
        let duration = seconds(c.now - start.time)
        // Full all along but draining quickly is back-pressure, not a block: require that
        // the consumer did not take even one queue's worth during the whole run.
        let drained = queue.head &- start.queue(kind).head
        guard duration >= c.thresholds.stallTimeout, drained < UInt64(queue.capacity) else { return nil }
        let producer = c.snapshot.side(kind.producer).map(sideLabel) ?? "producer"
        let consumer = c.snapshot.side(kind.consumer).map(sideLabel) ?? "consumer"
        return Finding(
            rule: .producerBlocked, severity: .critical, subject: kind.rawValue,
            message: "the \(kind.label) queue has been full for \(format(seconds: duration)) (\(queue.capacity) entries, \(drained) taken meanwhile): the \(producer) cannot enqueue because the \(consumer) is not draining it",
            evidence: ["fullSeconds": duration, "capacity": Double(queue.capacity), "dequeuedMeanwhile": Double(drained),
                       "fullStalls": Double(queue.fullStalls ?? 0)])
    }

    static func consumerStalled(_ kind: QueueKind, _ c: Context) -> Finding? {
        let queue = c.snapshot.queue(kind)
        guard queue.isConsistent, !queue.isOverfull, queue.used > 0 else { return nil }
        let head = queue.head
        var duration = c.secondsHolding { $0.queue(kind).head == head && $0.queue(kind).used > 0 }
        // One-read evidence: the op at the submission head was submitted this long ago and
        // is still waiting there, so the responder has not reached it in that time.
        var headEntryAge: Double?
        if kind == .submission, let first = queue.pending.first, first.isStable, first.generationMatches == true,
           first.slotState?.isInFlight == true, let age = first.ageNanoseconds {
            headEntryAge = seconds(age)
            duration = max(duration, seconds(age))
        }
        guard duration >= c.thresholds.stallTimeout else { return nil }
        let consumerSide = c.snapshot.side(kind.consumer)
        if let consumerSide, consumerSide.liveness.isGone, consumerSide.state != .never { return nil }  // peer-dead says it
        var evidence: [String: Double] = ["stalledSeconds": duration, "used": Double(queue.used), "head": Double(head)]
        if let headEntryAge { evidence["headEntryAgeSeconds"] = headEntryAge }
        let next = queue.pending.first.map { ", next op \($0.opLabel) opcode \($0.opcode)" } ?? ""
        if let consumerSide, consumerSide.state != .attached {
            return Finding(
                rule: .consumerStalled, severity: .warning, subject: kind.rawValue,
                message: "no \(consumerSide.role.rawValue) is attached and \(queue.used) \(kind.label) entr\(queue.used == 1 ? "y has" : "ies have") waited \(format(seconds: duration)): start one",
                evidence: evidence)
        }
        let who = consumerSide.map { "the \(sideLabel($0)) is alive but" } ?? "the consumer"
        return Finding(
            rule: .consumerStalled, severity: .critical, subject: kind.rawValue,
            message: "\(who) has not taken from the \(kind.label) queue for \(format(seconds: duration)); \(queue.used) waiting\(next)",
            evidence: evidence)
    }

    static func leakedCancellations(_ c: Context) -> [Finding] {
        guard let slots = c.snapshot.slots, slots.counts.cancelled > 0 else { return [] }
        let limit = UInt64(c.thresholds.cancellationTimeout * 1e9)
        var count = 0
        var oldest: SlotTable.Record?
        for record in slots.busy where record.state == .cancelled && record.ageNanoseconds >= limit {
            count += 1
            if oldest == nil || record.ageNanoseconds > oldest!.ageNanoseconds { oldest = record }
        }
        guard count > 0, let oldest else { return [] }
        let age = seconds(oldest.ageNanoseconds)
        return [Finding(
            rule: .leakedCancellations, severity: .warning, subject: "slots",
            message: "\(count) cancelled op(s) still pin their slots after \(format(seconds: c.thresholds.cancellationTimeout)) (oldest \(oldest.opLabel), submitted \(format(seconds: age)) ago): the responder never completed them",
            evidence: ["count": Double(count), "oldestAgeSeconds": age, "oldestSlot": Double(oldest.index)])]
    }

    static func oldInFlightOp(_ c: Context) -> [Finding] {
        guard let slots = c.snapshot.slots, slots.counts.submitted + slots.counts.waiting > 0 else { return [] }
        let typical = c.typicalLatencySeconds
        let limit = max(c.thresholds.inFlightMinimumAge, (typical ?? 0) * c.thresholds.inFlightLatencyFactor)
        let limitNanoseconds = UInt64(limit * 1e9)
        var count = 0
        var oldest: SlotTable.Record?
        for record in slots.busy where (record.state == .submitted || record.state == .waiting)
            && record.ageNanoseconds > limitNanoseconds {
            count += 1
            if oldest == nil || record.ageNanoseconds > oldest!.ageNanoseconds { oldest = record }
        }
        guard count > 0, let oldest else { return [] }
        let age = seconds(oldest.ageNanoseconds)
        var evidence: [String: Double] = ["count": Double(count), "oldestAgeSeconds": age, "oldestSlot": Double(oldest.index),
                                          "limitSeconds": limit]
        if let typical { evidence["typicalLatencySeconds"] = typical }
        let typicalText = typical.map { ", typical latency \(format(seconds: $0))" } ?? ""
        let opID = UInt64(oldest.index) | UInt64(oldest.generation) << 32
        let where_ = c.snapshot.completion.pending.contains { $0.opID == opID }
            ? "its completion is waiting in the completion queue: the requester is not reaping"
            : "the responder took it and has not completed it"
        return [Finding(
            rule: .oldInFlightOp, severity: .warning, subject: "slot \(oldest.index)",
            message: "op \(oldest.opLabel) (opcode \(oldest.opcode)) has been in flight for \(format(seconds: age))\(typicalText); \(count) op(s) over \(format(seconds: limit)): \(where_)",
            evidence: evidence)]
    }

    static func slotTableExhausted(_ c: Context) -> [Finding] {
        guard let slots = c.snapshot.slots, slots.slotCount > 0, slots.counts.free == 0 else { return [] }
        // One-read evidence: every slot is busy and the youngest was allocated over the
        // timeout ago, so no slot has been freed (and reused) for that long.
        var duration = 0.0
        if slots.busy.count == Int(slots.slotCount), let youngest = slots.busy.map(\.ageNanoseconds).min() {
            duration = seconds(youngest)
        }
        // History evidence: no free slot in any sample, and no completion reaped.
        let cqHead = c.snapshot.completion.head
        duration = max(duration, c.secondsHolding { $0.slotCounts?.free == 0 && $0.completion.head == cqHead })
        guard duration >= c.thresholds.stallTimeout else { return [] }
        let counts = slots.counts
        let cause: String
        if counts.completed == Int(slots.slotCount) {
            cause = "all are completed but never released: the requester is not calling release"
        } else if counts.cancelled == Int(slots.slotCount) {
            cause = "all are cancelled and their completions never came"
        } else {
            cause = "\(counts.inFlight) in flight, \(counts.completed) completed but unreleased, \(counts.cancelled) cancelled"
        }
        return [Finding(
            rule: .slotTableExhausted, severity: .critical, subject: "slots",
            message: "all \(slots.slotCount) slots have been in use for \(format(seconds: duration)) with none freed; \(cause)",
            evidence: ["slotCount": Double(slots.slotCount), "exhaustedSeconds": duration, "inFlight": Double(counts.inFlight),
                       "completed": Double(counts.completed), "cancelled": Double(counts.cancelled)])]
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e15 else { self = "\(value)"; return }
        let whole = Int64(tenths) / 10
        let fraction = abs(Int64(tenths) % 10)
        self = "\(whole).\(fraction)"
    }
}
