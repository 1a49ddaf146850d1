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
        // A slice of the caller's history, not a copy: with hundreds of samples per call,
        // copying showed in the 65,536-slot benchmark.
        let now = snapshot.takenAtMonotonicNanoseconds
        var end = history.endIndex
        while end > history.startIndex && history[end - 1].time >= now { end -= 1 }
        var context = Context(snapshot: snapshot, earlier: history[..<end], current: Sample(snapshot), thresholds: thresholds)
        context.busy = BusySummary(snapshot.slots, cancelLimit: nanoseconds(thresholds.cancellationTimeout),
                                   inFlightLimit: nanoseconds(context.inFlightLimitSeconds))

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

    /// What the rules share: the snapshot, the history before it, and limits.
    struct Context {
        var snapshot: Snapshot
        /// Samples older than the snapshot, oldest first.
        var earlier: ArraySlice<Sample>
        /// The snapshot's own sample.
        var current: Sample
        var thresholds: Thresholds
        /// Mean latency over the last 10 s of history (see `typicalLatency`).
        var typicalLatencySeconds: Double?
        /// One pass over the busy slot records, shared by the slot rules.
        var busy = BusySummary(nil, cancelLimit: 0, inFlightLimit: 0)
        var now: UInt64 { snapshot.takenAtMonotonicNanoseconds }

        init(snapshot: Snapshot, earlier: ArraySlice<Sample>, current: Sample, thresholds: Thresholds) {
            self.snapshot = snapshot
            self.earlier = earlier
            self.current = current
            self.thresholds = thresholds
            typicalLatencySeconds = Self.typicalLatency(current: current, earlier: earlier)
        }

        /// Age beyond which a submitted/waiting op is "old".
        var inFlightLimitSeconds: Double {
            max(thresholds.inFlightMinimumAge, (typicalLatencySeconds ?? 0) * thresholds.inFlightLatencyFactor)
        }

        /// Seconds for which `holds` has been true in every sample back from the current
        /// one (0 when it does not hold now). Counted from the oldest sample of the run.
        func secondsHolding(_ holds: (Sample) -> Bool) -> Double {
            guard let start = runStart(holds) else { return 0 }
            return seconds(now - start.time)
        }

        /// The oldest sample of the run in which `holds` has been true (current included).
        func runStart(_ holds: (Sample) -> Bool) -> Sample? {
            guard holds(current) else { return nil }
            var start = current
            for sample in earlier.reversed() {
                guard holds(sample) else { break }
                start = sample
            }
            return start
        }

        /// Mean latency over the last 10 s by Little's law: mean ops in flight divided by
        /// completions reaped per second. Nil without enough history or completions.
        static func typicalLatency(current: Sample, earlier: ArraySlice<Sample>) -> Double? {
            let windowStart = current.time > 10_000_000_000 ? current.time - 10_000_000_000 : 0
            var first = current
            var inFlightSum = 0.0
            var inFlightSamples = 0
            func absorb(_ sample: Sample) {
                if let counts = sample.slotCounts {
                    inFlightSum += Double(counts.submitted + counts.waiting)
                    inFlightSamples += 1
                }
            }
            absorb(current)
            for sample in earlier.reversed() {
                guard sample.time >= windowStart else { break }
                first = sample
                absorb(sample)
            }
            guard current.time > first.time, current.completion.head > first.completion.head,
                  inFlightSamples > 0 else { return nil }
            let rate = Double(current.completion.head - first.completion.head) / seconds(current.time - first.time)
            return max(inFlightSum / Double(inFlightSamples), 1) / rate
        }
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }

    /// Seconds to ns for comparisons, saturating (a huge or odd threshold must not trap).
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return seconds == .infinity ? .max : 0 }
        let value = seconds * 1e9
        return value >= 1.8e19 ? .max : UInt64(value)
    }

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
        // Ops someone still waits an answer for. Cancelled slots are left out: nobody waits
        // for them, and leaked-cancellations reports them (counting them here made a
        // leak-cancel run that ended cleanly read as two dead peers with "ops in flight").
        let inFlight = s.slots.map { $0.counts.submitted + $0.counts.waiting } ?? 0
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
        // A dead consumer is peer-dead's finding (as in consumerStalled): blaming it for
        // "not draining" would repeat that finding under a misleading name.
        let consumerSide = c.snapshot.side(kind.consumer)
        if let consumerSide, consumerSide.liveness.isGone, consumerSide.state != .never { return nil }
        let producer = c.snapshot.side(kind.producer).map(sideLabel) ?? "producer"
        let consumer = consumerSide.map(sideLabel) ?? "consumer"
        // The responder must put a completion on the CQ before it takes more submissions,
        // so when the CQ is full too it is waiting there, and the root cause is the
        // requester not reaping (stall-requester: the CQ fills, then the SQ backs up). Not
        // the other way round: reaping never waits on the SQ, so a full CQ is never the SQ's fault.
        let other = c.snapshot.completion
        let cascade = kind == .submission && other.isConsistent && other.isFull
        let why = cascade
            ? "the \(consumer) is not draining it because it is itself blocked on the full \(other.kind.label) queue"
            : "the \(consumer) is not draining it"
        var evidence = ["fullSeconds": duration, "capacity": Double(queue.capacity), "dequeuedMeanwhile": Double(drained),
                        "fullStalls": Double(queue.fullStalls ?? 0)]
        if cascade { evidence["otherQueueFull"] = 1 }
        return Finding(
            rule: .producerBlocked, severity: .critical, subject: kind.rawValue,
            message: "the \(kind.label) queue has been full for \(format(seconds: duration)) (\(queue.capacity) entries, \(drained) taken meanwhile): the \(producer) cannot enqueue because \(why)",
            evidence: evidence)
    }

    static func consumerStalled(_ kind: QueueKind, _ c: Context) -> Finding? {
        let queue = c.snapshot.queue(kind)
        guard queue.isConsistent, !queue.isOverfull, queue.used > 0 else { return nil }
        let head = queue.head
        let stuck = { (sample: Sample) in sample.queue(kind).head == head && sample.queue(kind).used > 0 }
        var duration = c.secondsHolding(stuck)
        // One-read evidence: the op at the submission head was submitted this long ago and
        // is still waiting there, so the responder has not reached it in that time. Under a
        // backlog it also waited behind the entries taken before it, so its age overstates
        // the stall: a sample with another head (the newest one) caps it, since the head
        // moved after that sample. Without that cap a slow but moving responder with a deep
        // queue read as stalled even though the history showed its head moving.
        var headEntryAge: Double?
        if kind == .submission, let first = queue.pending.first, first.isStable, first.generationMatches == true,
           first.slotState?.isInFlight == true, let age = first.ageNanoseconds {
            headEntryAge = seconds(age)
            var bound = seconds(age)
            if let moved = c.earlier.last(where: { !stuck($0) }) { bound = min(bound, seconds(c.now - moved.time)) }
            duration = max(duration, bound)
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

    /// What the slot rules need from the busy records, gathered in one pass (a 65,536-slot
    /// table has as many records; walking them once per rule showed in the benchmark).
    struct BusySummary {
        /// Smallest age among busy slots (UInt64.max when none).
        var youngestAge = UInt64.max
        /// Cancelled slots at least `cancelLimit` old, and the oldest of them.
        var leakedCancelled = 0
        var oldestLeaked: SlotTable.Record?
        /// Submitted/waiting slots older than `inFlightLimit`, and the oldest of them.
        var oldInFlight = 0
        var oldestInFlight: SlotTable.Record?

        init(_ slots: SlotTable?, cancelLimit: UInt64, inFlightLimit: UInt64) {
            guard let slots else { return }
            var oldestLeakedIndex = -1, oldestInFlightIndex = -1
            var oldestLeakedAge: UInt64 = 0, oldestInFlightAge: UInt64 = 0
            slots.busy.withUnsafeBufferPointer { records in
                for i in records.indices {
                    let age = records[i].ageNanoseconds
                    if age < youngestAge { youngestAge = age }
                    switch records[i].state {
                    case .cancelled where age >= cancelLimit:
                        leakedCancelled += 1
                        if oldestLeakedIndex < 0 || age > oldestLeakedAge { (oldestLeakedIndex, oldestLeakedAge) = (i, age) }
                    case .submitted where age > inFlightLimit, .waiting where age > inFlightLimit:
                        oldInFlight += 1
                        if oldestInFlightIndex < 0 || age > oldestInFlightAge { (oldestInFlightIndex, oldestInFlightAge) = (i, age) }
                    default:
                        break
                    }
                }
                if oldestLeakedIndex >= 0 { oldestLeaked = records[oldestLeakedIndex] }
                if oldestInFlightIndex >= 0 { oldestInFlight = records[oldestInFlightIndex] }
            }
        }
    }

    static func leakedCancellations(_ c: Context) -> [Finding] {
        let count = c.busy.leakedCancelled
        guard count > 0, let oldest = c.busy.oldestLeaked else { return [] }
        // A slot's age counts from its submission, not its cancellation (the ABI keeps no
        // cancel time), so an op cancelled after a long wait looks leaked the instant it is
        // cancelled. When the history reaches back the timeout, it must also show some slot
        // cancelled all along; a cancel the responder answers promptly then stays silent.
        let timeout = c.thresholds.cancellationTimeout
        if let first = c.earlier.first, seconds(c.now - first.time) >= timeout,
           c.secondsHolding({ ($0.slotCounts?.cancelled ?? 0) > 0 }) < timeout { return [] }
        let age = seconds(oldest.ageNanoseconds)
        return [Finding(
            rule: .leakedCancellations, severity: .warning, subject: "slots",
            message: "\(count) cancelled op(s) still pin their slots after \(format(seconds: c.thresholds.cancellationTimeout)) (oldest \(oldest.opLabel), submitted \(format(seconds: age)) ago): the responder never completed them",
            evidence: ["count": Double(count), "oldestAgeSeconds": age, "oldestSlot": Double(oldest.index)])]
    }

    static func oldInFlightOp(_ c: Context) -> [Finding] {
        let count = c.busy.oldInFlight
        guard count > 0, let oldest = c.busy.oldestInFlight else { return [] }
        let typical = c.typicalLatencySeconds
        let limit = c.inFlightLimitSeconds
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
        if slots.busy.count == Int(slots.slotCount) { duration = seconds(c.busy.youngestAge) }
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
    // Public so the commands format numbers the same way.
    /// One decimal place, without Foundation.
    public init(format1 value: Double) {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e15 else { self = "\(value)"; return }
        // Sign apart: -0.5 has a whole part of 0, which would print as "0.5".
        let magnitude = abs(Int64(tenths))
        self = (tenths < 0 ? "-" : "") + "\(magnitude / 10).\(magnitude % 10)"
    }
}
