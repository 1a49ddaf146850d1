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
        findings += doubleAttach(context)
        findings += peerDead(context)
        findings += sideNotRunning(context)
        let lost = lostWakeUps(context)
        findings += lost
        // One finding per queue: blocked (full for the timeout) or stalled (head unmoved).
        findings += QueueKind.allCases.compactMap { kind in
            guard var stall = queueStall(kind, context) else { return nil }
            // A consumer asleep through a lost wake-up is why the queue does not move: the
            // stall blames whoever the lost wake-up blames, and joins its incident.
            if let cause = lost.first(where: { $0.subject == kind.rawValue }) { stall.culprit = cause.culprit }
            return stall
        }
        findings += leakedCancellations(context)
        // An old op is already explained when its queue's consumer is stuck or its peer is dead.
        let explained = findings.contains {
            ($0.rule == .consumerStalled || $0.rule == .producerBlocked) || $0.rule == .peerDead
                || $0.rule == .heartbeatStale || $0.rule == .sideStopped || $0.rule == .lostWakeUp
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

    static func format(seconds: Double) -> String { Formatting.duration(seconds: seconds) }

    static func sideLabel(_ side: SideStatus) -> String { "\(side.role) (pid \(side.pid))" }

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
                rule: .corruption, severity: .critical, subject: side.role.description,
                message: "the \(side.role) block's state holds \(side.rawState), which is not never/attached/detached",
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

    /// Two processes on one side (docs/ABI.md "Compatibility"): the header counts more than
    /// two attached sides, or an attached side's block names another pid than the owner word
    /// that decides who holds it (a writer that checks-then-writes, such as an ABI 1.0 joiner,
    /// raced a claim). Either way two processes produce into, or consume from, the same
    /// queue, and nothing that crosses the ring can be trusted. No false positive: a healthy
    /// ring never counts three, and the two pids must both name live processes (a takeover
    /// in progress, or a crashed side's leftover pid, is not a double attach).
    static func doubleAttach(_ c: Context) -> [Finding] {
        var findings: [Finding] = []
        let s = c.snapshot
        if let header = s.header, header.refcount > 2 {
            findings.append(Finding(
                rule: .doubleAttach, severity: .critical, subject: "header",
                message: "the header counts \(header.refcount) attached sides where a ring has two: a second process attached as one of them, so traffic through this ring cannot be trusted; stop both sides' processes and recreate the ring",
                evidence: ["refcount": Double(header.refcount)]))
        }
        for side in [s.requester, s.responder].compactMap({ $0 }) where side.state == .attached && side.liveness.isPresent {
            // `ownerPID` is set only while its process is present: both are alive.
            guard let owner = side.ownerPID, owner != side.pid else { continue }
            findings.append(Finding(
                rule: .doubleAttach, severity: .critical, subject: side.role.description,
                message: "the \(side.role) block was last written by pid \(side.pid), but the side's owner word names pid \(owner): two processes attached as the \(side.role) (one that does not claim sides by compare-and-swap); stop the extra one (pid \(side.pid) or \(owner))",
                evidence: ["pid": Double(side.pid), "ownerPid": Double(owner)],
                culprit: Finding.Party(side.role)))
        }
        return findings
    }

    /// How long a waiter must be seen asleep, unchanged, before it is a lost wake-up: two
    /// samples at least this far apart. Shorter fires falsely on a busy 2-core machine, where
    /// a sleeper preempted between announcing sleep and re-checking its queue (or a waker
    /// preempted between publishing and waking) looks the same for tens of milliseconds
    /// (issue 13). Fixed, not a threshold: this library's sleeper ends a missed wake-up by its
    /// own 1 s backstop timeout, so one lasting longer than this window is caught in time.
    public static let lostWakeUpWindowSeconds = 0.1

    /// A waiter asleep on a queue's futex while what it waits for is there: a consumer on a
    /// non-empty queue, a producer on a queue with space, with the same `since_ns` and the
    /// same head and tail in every sample of a run at least `lostWakeUpWindowSeconds` long
    /// (docs/ABI.md "Inspecting it"). The other side published without waking it: a bug in
    /// one implementation of the protocol, ours or a foreign one. The culprit is that waker
    /// (it advertises `wakes-peer` and did not), or the sleeper itself when its peer never
    /// advertised `wakes-peer` (it must not sleep on a futex nobody promised to wake).
    ///
    /// No false positive: our sleeper re-checks its queue after announcing sleep and our
    /// waker wakes after publishing, so the state lasts microseconds; a sleeper or waker that
    /// is stopped or gone is left to side-stopped and peer-dead (a process stopped between
    /// announcing sleep and its re-check looks the same); one sample says nothing.
    static func lostWakeUps(_ c: Context) -> [Finding] {
        var findings: [Finding] = []
        for kind in QueueKind.allCases {
            let queue = c.snapshot.queue(kind)
            guard queue.isConsistent, !queue.isOverfull else { continue }
            for role in WaiterRole.allCases {
                guard let waiter = c.snapshot.waiter(kind, role), waiter.sleeping, let since = waiter.sinceNanoseconds
                else { continue }
                let awaited = role == .consumer ? queue.used > 0 : queue.used < UInt64(queue.capacity)
                guard awaited,
                      let sleeper = c.snapshot.side(waiter.side), sleeper.state == .attached,
                      sleeper.liveness.isPresent, sleeper.liveness != .stopped,
                      let waker = c.snapshot.side(waiter.waker), waker.state == .attached,
                      waker.liveness.isPresent, waker.liveness != .stopped else { continue }
                let (head, tail) = (queue.head, queue.tail)
                let unchanged = { (sample: Sample) in
                    let q = sample.queue(kind)
                    return q.head == head && q.tail == tail && q.asleepSince(role) == since
                }
                guard let start = c.runStart(unchanged), c.now >= start.time else { continue }
                let unchangedSeconds = seconds(c.now - start.time)
                guard unchangedSeconds >= lostWakeUpWindowSeconds else { continue }

                let wakerPromised = waker.capabilities?.contains(.wakesPeer) ?? true
                let asleep = format(seconds: seconds(waiter.ageNanoseconds ?? 0))
                let what = role == .consumer
                    ? "the \(kind.label) queue, waiting for entries, while \(queue.used) entr\(queue.used == 1 ? "y waits" : "ies wait") there"
                    : "the \(kind.label) queue, waiting for space, while \(queue.free) of its \(queue.capacity) entries are free"
                let published = role == .consumer ? "published them" : "made room"
                let blame = wakerPromised
                    ? "the \(sideLabel(waker)) \(published) without waking it (it advertises wakes-peer): a lost wake-up, a bug in its implementation of the wake-up protocol (docs/ABI.md); the \(sleeper.role) sleeps until its futex timeout, if it has one"
                    : "the \(sideLabel(waker)) does not advertise wakes-peer, so nothing will wake it: the \(sleeper.role) broke the protocol by sleeping on the futex instead of backing off"
                var evidence: [String: Double] = [
                    "asleepSeconds": seconds(waiter.ageNanoseconds ?? 0), "unchangedSeconds": unchangedSeconds,
                    "head": Double(head), "tail": Double(tail), "used": Double(queue.used),
                    "capacity": Double(queue.capacity), "wakes": Double(waiter.wakes), "lateWakes": Double(waiter.lateWakes),
                    "pid": Double(sleeper.pid)]
                if !wakerPromised { evidence["wakerAdvertisesWakes"] = 0 }
                findings.append(Finding(
                    rule: .lostWakeUp, severity: .critical, subject: waiter.findingSubject,
                    message: "the \(sideLabel(sleeper)) has been asleep on \(what) for \(asleep), unchanged for \(format(seconds: unchangedSeconds)): \(blame)",
                    evidence: evidence, culprit: Finding.Party(wakerPromised ? waker.role : sleeper.role)))
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

    /// `text` as a suggested action, or nothing when the ring no longer exists (no action
    /// on it can help then).
    static func action(_ text: String, _ c: Context) -> String {
        c.snapshot.isStillLinked && c.snapshot.isIntact ? text : ""
    }

    /// How a gone process went: "died", "exited (a zombie: its parent has not reaped it)".
    static func goneHow(_ side: SideStatus) -> String {
        switch side.liveness {
        case .zombie: "has exited (a zombie, state Z: its parent has not reaped it)"
        case .exiting: "is exiting (killed or exiting: the kernel is tearing it down)"
        case .pidReused: "is gone (pid \(side.pid) now belongs to another process)"
        default: "is gone"
        }
    }

    static func peerDead(_ c: Context) -> [Finding] {
        let s = c.snapshot
        var findings: [Finding] = []
        // Ops someone still waits an answer for. Cancelled slots are left out: nobody waits
        // for them, and leaked-cancellations reports them (counting them here made a
        // leak-cancel run that ended cleanly read as two dead peers with "ops in flight").
        let inFlight = s.slots?.counts.awaitingResponder ?? 0
        let requesterDied = s.requester.map { $0.state == .attached && $0.liveness.isGone } ?? false
        for side in [s.requester, s.responder].compactMap({ $0 }) where side.state != .never && side.liveness.isGone {
            let evidence: [String: Double] = ["pid": Double(side.pid), "inFlight": Double(inFlight)]
            if side.role == .responder && requesterDied {
                // The requester died first (or with it): the responder going is a consequence,
                // not a second cause.
                findings.append(Finding(
                    rule: .peerDead, severity: .warning, subject: side.role.description,
                    message: "the \(sideLabel(side)) \(goneHow(side)) after the requester died: a consequence, not a second fault",
                    evidence: evidence, culprit: .requester))
            } else if side.state == .attached {
                let orphaned = side.role == .responder ? "; its \(inFlight) in-flight op(s) are orphaned" : "; nobody will reap the completions"
                findings.append(Finding(
                    rule: .peerDead, severity: .critical, subject: side.role.description,
                    message: "the \(sideLabel(side)) \(goneHow(side)) without detaching\(orphaned)\(action(": restart it or unlink the ring", c))",
                    evidence: evidence, culprit: Finding.Party(side.role)))
            } else if side.role == .responder, inFlight > 0, s.requester?.liveness.isPresent == true {
                findings.append(Finding(
                    rule: .peerDead, severity: .critical, subject: side.role.description,
                    message: "the \(sideLabel(side)) detached and \(goneHow(side)) leaving \(inFlight) op(s) in flight that the requester still waits for",
                    evidence: evidence, culprit: .responder))
            }
        }
        if let process = s.process, process.liveness.isGone {
            findings.append(Finding(rule: .peerDead, severity: .critical, subject: "process",
                                    message: "process \(process.pid) owning \(s.name) is gone",
                                    evidence: ["pid": Double(process.pid)], culprit: .process))
        }
        return findings
    }

    /// A side that is attached and present but not running normally: stopped (state T, at
    /// once: the kernel says so), or with a stale heartbeat (hung, or blocked in the kernel).
    static func sideNotRunning(_ c: Context) -> [Finding] {
        let s = c.snapshot
        return [s.requester, s.responder].compactMap { side -> Finding? in
            guard let side, side.state == .attached, side.liveness.isPresent else { return nil }
            let age = side.heartbeatAgeNanoseconds.map(seconds)
            let beat = age.map { "heartbeat \(format(seconds: $0)) old" } ?? "no heartbeat"
            var evidence: [String: Double] = ["pid": Double(side.pid)]
            if let age { evidence["heartbeatAgeSeconds"] = age }
            let blocked = side.role == .responder ? "it takes nothing from the submission queue" : "it reaps nothing from the completion queue"
            if side.liveness == .stopped {
                return Finding(
                    rule: .sideStopped, severity: .critical, subject: side.role.description,
                    message: "the \(sideLabel(side)) is stopped (SIGSTOP?): state T in /proc, \(beat); \(blocked)\(action(" until it gets SIGCONT (kill -CONT \(side.pid))", c))",
                    evidence: evidence, culprit: Finding.Party(side.role))
            }
            guard let age, age > c.thresholds.heartbeatTimeout else { return nil }
            let what = side.liveness == .blockedInKernel
                ? "is blocked in the kernel (state D, in a system call)" : "is hung: its process is alive but"
            return Finding(
                rule: .heartbeatStale, severity: .critical, subject: side.role.description,
                message: "the \(sideLabel(side)) \(what) its \(beat); \(blocked)\(action(" (look with gdb -p \(side.pid) or cat /proc/\(side.pid)/stack)", c))",
                evidence: evidence, culprit: Finding.Party(side.role))
        }
    }

    /// One queue's stall: `producer-blocked` when the queue was full in every sample of the
    /// stall (or full for the timeout while its consumer took less than one queue's worth),
    /// else `consumer-stalled` when its head has not moved for the timeout.
    ///
    /// Both names judge the same duration, so a queue full for the whole window is always
    /// called blocked: the choice compares samples (full in all of them), never a time
    /// margin, which is what made `check` flip between the two names.
    static func queueStall(_ kind: QueueKind, _ c: Context) -> Finding? {
        let queue = c.snapshot.queue(kind)
        guard queue.isConsistent, !queue.isOverfull, queue.used > 0 else { return nil }
        let consumerSide = c.snapshot.side(kind.consumer)
        if let consumerSide, consumerSide.liveness.isGone, consumerSide.state != .never { return nil }  // peer-dead says it
        let head = queue.head
        let stuck = { (sample: Sample) in sample.queue(kind).head == head && sample.queue(kind).used > 0 }
        let (stuckFor, headEntryAge) = stuckSeconds(kind, c)
        var duration = stuckFor
        // A full CQ is what stops the responder taking from the SQ (it must post a completion
        // first), so it has been full at least as long as the SQ has been stuck behind it: the
        // cause is dated by its symptom and never reported after it.
        if kind == .completion, queue.isFull {
            duration = max(duration, stuckSeconds(.submission, c).seconds)
        }
        let isFull = { (sample: Sample) in sample.queue(kind).isFull && sample.queue(kind).isConsistent }
        // Full in every sample of the stall (the current one included).
        let fullThroughout = queue.isFull && c.runStart(isFull).map { fullStart in
            c.runStart(stuck).map { $0.time >= fullStart.time } ?? true
        } == true
        // Full for the timeout while draining slowly (head moving, less than a queue's worth).
        var drained: UInt64 = 0
        var fullSeconds = 0.0
        if let start = c.runStart(isFull) {
            drained = queue.head &- start.queue(kind).head
            fullSeconds = seconds(c.now - start.time)
        }
        let slowDrain = fullSeconds >= c.thresholds.stallTimeout && drained < UInt64(queue.capacity)
        let blocked = (fullThroughout && duration >= c.thresholds.stallTimeout) || slowDrain
        guard blocked || duration >= c.thresholds.stallTimeout else { return nil }
        let stallSeconds = max(duration, blocked ? fullSeconds : 0)

        let producer = c.snapshot.side(kind.producer).map(sideLabel) ?? "producer"
        let consumer = consumerSide.map(sideLabel) ?? "consumer"
        var evidence: [String: Double] = ["stalledSeconds": stallSeconds, "used": Double(queue.used), "head": Double(head),
                                          "capacity": Double(queue.capacity)]
        if let headEntryAge { evidence["headEntryAgeSeconds"] = headEntryAge }
        if blocked {
            evidence["fullSeconds"] = stallSeconds
            evidence["dequeuedMeanwhile"] = Double(drained)
            evidence["fullStalls"] = Double(queue.fullStalls ?? 0)
        }
        let rule: Finding.Rule = blocked ? .producerBlocked : .consumerStalled
        let next = queue.pending.first.map { ", next op \($0.opLabel) opcode \($0.opcode)" } ?? ""
        let waited = format(seconds: stallSeconds)

        if let consumerSide, consumerSide.state != .attached {
            return Finding(
                rule: rule, severity: .warning, subject: kind.rawValue,
                message: "no \(consumerSide.role) is attached and \(queue.used) \(kind.label) entr\(queue.used == 1 ? "y has" : "ies have") waited \(waited)\(action(": start one", c))",
                evidence: evidence, culprit: Finding.Party(kind.consumer))
        }
        // The responder must put a completion on the CQ before it takes more submissions,
        // so when the CQ is full it is waiting there, and the cause is the requester not
        // reaping (stall-requester: the CQ fills, then the SQ backs up). Never the other way
        // round: reaping never waits on the SQ.
        let completion = c.snapshot.completion
        if kind == .submission, completion.isConsistent, completion.isFull {
            evidence["otherQueueFull"] = 1
            let requester = c.snapshot.requester.map(sideLabel) ?? "requester"
            let head = blocked ? "the submission queue has been full for \(waited) (\(queue.capacity) entries): the \(producer) cannot submit"
                : "\(queue.used) submission(s) have waited \(waited)"
            return Finding(
                rule: rule, severity: .warning, subject: kind.rawValue,
                message: "\(head) because the \(consumer) is blocked on the full completion queue, which the \(requester) is not reaping",
                evidence: evidence, culprit: .requester)
        }
        let consumerState = consumerSide.map { consumerNote($0, c) } ?? "is alive but"
        let message: String
        // "has not taken ... for 2.0s", or, full but trickling, "has taken only 3 ... in 2.0s".
        let (take, took) = kind == .submission ? ("taken from the submission queue", "taken") : ("reaped the completion queue", "reaped")
        let verb = blocked && drained > 0 ? "has \(took) only \(drained) from the \(kind.label) queue in \(waited)"
            : "has not \(take) for \(waited)"
        switch (kind, blocked) {
        case (.submission, false):
            message = "the \(consumer) \(consumerState) \(verb); \(queue.used) waiting\(next)"
        case (.submission, true):
            message = "the \(consumer) \(consumerState) \(verb): it is full (\(queue.capacity) entries) and the \(producer) is blocked"
        case (.completion, false):
            message = "the \(consumer) \(consumerState) \(verb); \(queue.used) completion(s) waiting\(next)"
        case (.completion, true):
            message = "the \(consumer) \(consumerState) \(verb): it is full (\(queue.capacity) entries) and the \(producer) is blocked waiting for space"
        }
        return Finding(rule: rule, severity: .critical, subject: kind.rawValue, message: message, evidence: evidence,
                       culprit: Finding.Party(kind.consumer))
    }

    /// How long a non-empty queue's head has not moved: the run of samples with this head, or
    /// (submission queue) the age of the op at its head, capped by the last sample in which
    /// the head moved. Under a backlog the head op also waited behind the entries taken before
    /// it, so its age alone overstates the stall; a sample with another head bounds it.
    static func stuckSeconds(_ kind: QueueKind, _ c: Context) -> (seconds: Double, headEntryAge: Double?) {
        let queue = c.snapshot.queue(kind)
        guard queue.isConsistent, !queue.isOverfull, queue.used > 0 else { return (0, nil) }
        let head = queue.head
        let stuck = { (sample: Sample) in sample.queue(kind).head == head && sample.queue(kind).used > 0 }
        var duration = c.secondsHolding(stuck)
        var headEntryAge: Double?
        if kind == .submission, let first = queue.pending.first, first.isStable, first.generationMatches == true,
           first.slotState?.isInFlight == true, let age = first.ageNanoseconds {
            headEntryAge = seconds(age)
            var bound = seconds(age)
            if let moved = c.earlier.last(where: { !stuck($0) }) { bound = min(bound, seconds(c.now - moved.time)) }
            duration = max(duration, bound)
        }
        return (duration, headEntryAge)
    }

    /// "is alive, its heartbeat fresh (12.0 ms), but", or why it is not running.
    static func consumerNote(_ side: SideStatus, _ c: Context) -> String {
        switch side.liveness {
        case .stopped: return "is stopped (SIGSTOP?) and"
        case .blockedInKernel: return "is blocked in the kernel (state D) and"
        default:
            guard let age = side.heartbeatAgeNanoseconds.map(seconds) else { return "is alive but" }
            return age > c.thresholds.heartbeatTimeout ? "is hung (heartbeat \(format(seconds: age)) old) and"
                : "is alive, its heartbeat fresh (\(format(seconds: age))), but"
        }
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
            message: "\(count) cancelled op(s) still pin their slots after \(format(seconds: c.thresholds.cancellationTimeout)) (oldest \(oldest.opLabel), submitted \(format(seconds: age)) ago): the responder never completed them (leaked cancellations)",
            evidence: ["count": Double(count), "oldestAgeSeconds": age, "oldestSlot": Double(oldest.index)], culprit: .responder)]
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
        return [Finding(
            rule: .oldInFlightOp, severity: .warning, subject: "slot \(oldest.index)",
            message: "op \(oldest.opLabel) (opcode \(oldest.opcode)) has been in flight for \(format(seconds: age))\(typicalText); \(count) op(s) over \(format(seconds: limit)): the responder took it and has not completed it",
            evidence: evidence, culprit: .responder)]
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
        var culprit: Finding.Party? = nil
        if counts.completed == Int(slots.slotCount) {
            culprit = .requester
            cause = "all are completed but never released: the requester is not calling release"
        } else if counts.completed + counts.completedInCQ == Int(slots.slotCount) {
            culprit = .requester
            cause = "all are completed (some still in the completion queue) but the requester is not reaping and releasing them"
        } else if counts.cancelled == Int(slots.slotCount) {
            cause = "all are cancelled and their completions never came"
        } else {
            cause = "\(counts.inFlight) in flight, \(counts.completed) completed but unreleased, \(counts.cancelled) cancelled"
        }
        return [Finding(
            rule: .slotTableExhausted, severity: .critical, subject: "slots",
            message: "all \(slots.slotCount) slots have been in use for \(format(seconds: duration)) with none freed; \(cause)",
            evidence: ["slotCount": Double(slots.slotCount), "exhaustedSeconds": duration, "inFlight": Double(counts.inFlight),
                       "completed": Double(counts.completed), "cancelled": Double(counts.cancelled)], culprit: culprit)]
    }
}
