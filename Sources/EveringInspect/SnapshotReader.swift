import Evering

/// Anything that can produce snapshots of one ring: an evering shm ring (`SnapshotReader`)
/// or, later, an io_uring read from /proc.
public protocol RingSource: AnyObject {
    /// How the ring is named to the user (`/evering-demo`, `io_uring:1234:5`).
    var displayName: String { get }
    /// One read of the ring. Throws when the ring can no longer be read.
    func snapshot() throws -> Snapshot
}

/// Reads snapshots of an evering ring through a read-only `RingObserver`.
///
/// Cheap enough for large rings: one pass loads only slot states (`slotStates(into:)`,
/// one 4-byte load per slot, reusing a buffer), and full slot records are read only for
/// slots that are not free.
///
///     let reader = SnapshotReader(observer: try RingObserver(attaching: RingName("evering-demo")))
///     let snapshot = try reader.snapshot()
public final class SnapshotReader: RingSource {
    public let observer: RingObserver
    /// How many entries to read at each queue's head.
    public var pendingLimit: Int
    /// Reused between snapshots so a 65,536-slot table costs no allocation per read.
    private var states: [UInt32] = []
    /// Shared by the readers of one fleet sample (`FleetSampler`), so the rings of one
    /// process check it once; nil checks every side afresh.
    public var livenessCache: LivenessCache?

    public init(observer: RingObserver, pendingLimit: Int = 4) {
        self.observer = observer
        self.pendingLimit = pendingLimit
    }

    /// Attaches read-only to `name`.
    public convenience init(attaching name: RingName, pendingLimit: Int = 4) throws(RingError) {
        self.init(observer: try RingObserver(attaching: name), pendingLimit: pendingLimit)
    }

    public var displayName: String { observer.name.path }

    public func snapshot() throws -> Snapshot {
        // A truncated object would fault on the first read past its new end; check first.
        guard observer.isIntact else { throw RingError.truncatedWhileInspected(observer.name.path) }
        let started = Clock.monotonicNanoseconds
        let realtime = Clock.realtimeNanoseconds
        let layout = observer.layout
        let h = observer.header
        let header = HeaderStatus(abiMajor: h.abiMajor, abiMinor: h.abiMinor, totalSize: h.totalSize,
                                  createdAtNanoseconds: h.createdAtNanoseconds, creatorPID: h.creatorPID,
                                  refcount: h.refcount, flags: h.flags, slotCount: layout.slotCount,
                                  bufferSize: layout.bufferSize)
        var requester = side(.requester, now: started)
        var responder = side(.responder, now: started)

        observer.slotStates(into: &states)
        var counts = SlotTable.Counts()
        let busy = states.withUnsafeBufferPointer { raw in
            // Tally by raw value into a small table (the ABI's five, then anything else):
            // cheaper per slot than the enum subscript, which matters at 65,536 slots.
            var tally = (0, 0, 0, 0, 0, 0)
            for state in raw {
                switch state {
                case SlotState.free.rawValue: tally.0 += 1
                case SlotState.submitted.rawValue: tally.1 += 1
                case SlotState.waiting.rawValue: tally.2 += 1
                case SlotState.completed.rawValue: tally.3 += 1
                case SlotState.cancelled.rawValue: tally.4 += 1
                default: tally.5 += 1
                }
            }
            counts = SlotTable.Counts(free: tally.0, submitted: tally.1, waiting: tally.2, completed: tally.3,
                                      cancelled: tally.4, unknown: tally.5)
            return BusySlotScan.records(observer: observer, states: raw, busyCount: raw.count - counts.free, now: started)
        }
        var slots = SlotTable(slotCount: layout.slotCount, counts: counts, busy: busy)

        // Completion queue first (docs/ABI.md "Ordering of a snapshot"): a completion exists
        // only for a consumed submission, so the CQ read first can never show more completed
        // than the SQ read after it shows consumed.
        let completion = queue(.completion, now: started)
        let submission = queue(.submission, now: started)
        // After the queues: a waiter seen asleep was asleep after its queue was read, so an
        // unchanged queue and sleep in two samples mean it slept through that state.
        if h.abiMinor >= RingObserver.firstMinorWithWaitRecords {
            // Ages from a clock read now, not the snapshot's start: a side that fell asleep
            // while the slot table was read would otherwise show as asleep for "<1us".
            let now = max(started, Clock.monotonicNanoseconds)
            requester.waits = waits(.requester, now: now)
            responder.waits = waits(.responder, now: now)
        }
        // Shrunk while we read (reads past the new end returned zeros, through the SIGBUS
        // guard): this snapshot is not the ring.
        guard observer.isIntact else { throw RingError.truncatedWhileInspected(observer.name.path) }
        markCompletedInCQ(&slots, completion)
        let linked = observer.isStillLinked
        return Snapshot(source: .evering, name: observer.name.path, takenAtMonotonicNanoseconds: started,
                        takenAtRealtimeNanoseconds: realtime,
                        readDurationNanoseconds: Clock.monotonicNanoseconds &- started,
                        header: header, requester: requester, responder: responder,
                        submission: submission, completion: completion, slots: slots,
                        isIntact: true, isStillLinked: linked)
    }

    /// Marks the in-flight slots whose completion entry (same slot and generation) waits in
    /// the completion queue as `completedInCQ`: the responder is done with them and the
    /// requester has not reaped them. Derived from what we read; the ABI stores no such state.
    private func markCompletedInCQ(_ slots: inout SlotTable, _ completion: QueueStatus) {
        guard completion.isConsistent, completion.used > 0, completion.used <= UInt64(completion.capacity),
              slots.busy.contains(where: { $0.state.isInFlight }) else { return }
        var queued = Set<UInt64>(minimumCapacity: Int(completion.used))
        for offset in 0..<completion.used {
            queued.insert(observer.entry(.completion, at: completion.head &+ offset).op_id)
        }
        for i in slots.busy.indices {
            let record = slots.busy[i]
            guard record.state == .submitted || record.state == .waiting || record.state == .cancelled,
                  queued.contains(OpID(slot: record.index, generation: record.generation).rawValue) else { continue }
            slots.counts[record.state] -= 1
            slots.counts.completedInCQ += 1
            slots.busy[i].state = .completedInCQ
        }
    }

    /// `now - then`, saturating at 0 (a timestamp written after our clock read).
    static func age(_ now: UInt64, _ then: UInt64) -> UInt64 { now > then ? now - then : 0 }

    /// The owner word's pid when it names the block's own process (the normal case, no
    /// check needed) or another process that is still present; nil for a 1.0 ring, an
    /// unowned side, or an owner that is gone (a takeover in progress, a crashed side): only
    /// two *live* processes on one side are a double attach.
    static func liveOwnerPID(_ owner: SideOwner?, blockPID: Int32) -> Int32? {
        guard let owner, owner.rawValue != 0 else { return nil }
        if owner.pid == blockPID { return owner.pid }
        return owner.isAliveByPid ? owner.pid : nil
    }

    private func side(_ role: SideRole, now: UInt64) -> SideStatus {
        let info = observer.side(role)
        let state = info.state
        let liveness: Liveness
        if info.identity.pid <= 0 {
            // pid 0: the side never attached (nothing to check) or its block was cleared.
            liveness = state == .never ? .unknown : .dead
        } else if info.isInOtherPidNamespace {
            // A side in another pid namespace (a container): its pid names nothing here, so
            // its heartbeat decides.
            let beat = info.heartbeatNanoseconds
            liveness = beat != 0 && Self.age(now, beat) <= SideOwner.heartbeatTimeoutNanoseconds ? .alive : .dead
        } else {
            liveness = livenessCache?.liveness(of: info.identity) ?? info.identity.liveness
        }
        return SideStatus(role: role, state: state, rawState: info.rawState, pid: info.identity.pid,
                          startTime: info.identity.startTime, liveness: liveness,
                          heartbeatAgeNanoseconds: info.heartbeatNanoseconds == 0 ? nil : Self.age(now, info.heartbeatNanoseconds),
                          attachedAtNanoseconds: info.attachedAtNanoseconds, detachedAtNanoseconds: info.detachedAtNanoseconds,
                          ownerPID: Self.liveOwnerPID(info.owner, blockPID: info.identity.pid),
                          capabilities: info.capabilities.map(SideCapabilities.init(rawValue:)))
    }

    /// The side's consumer wait (on the queue it consumes), then its producer wait.
    private func waits(_ role: SideRole, now: UInt64) -> [WaiterStatus] {
        let consumed: QueueKind = role == .requester ? .completion : .submission
        let produced: QueueKind = role == .requester ? .submission : .completion
        return [WaiterStatus(queue: consumed, role: .consumer, observer.waitState(consumed, .consumer), now: now),
                WaiterStatus(queue: produced, role: .producer, observer.waitState(produced, .producer), now: now)]
    }

    private func queue(_ kind: QueueKind, now: UInt64) -> QueueStatus {
        // The observer reads head before tail, so tail - head is never negative; but the
        // consumer may advance head (and the producer refill) between those two reads,
        // making tail - head exceed the capacity for an instant. Re-reading head after the
        // tail tells us whether the pair is one instant's view; retry a few times if not.
        var indices = observer.queue(kind)
        var consistent = observer.queue(kind).head == indices.head
        var attempts = 1
        while !consistent && attempts < 8 {
            indices = observer.queue(kind)
            consistent = observer.queue(kind).head == indices.head
            attempts += 1
        }
        var pending: [QueueEntry] = []
        let used = indices.tail &- indices.head
        if consistent && used <= UInt64(indices.capacity) {
            let count = Int(min(used, UInt64(max(pendingLimit, 0))))
            for offset in 0..<count {
                pending.append(entry(kind, at: indices.head &+ UInt64(offset), now: now))
            }
            if !pending.isEmpty {
                // Had the consumer taken the entries while we read them (or their slots),
                // what we saw may already be stale: mark them so no rule judges them.
                let stable = observer.queue(kind).head == indices.head
                if !stable { for i in pending.indices { pending[i].isStable = false } }
            }
        }
        return QueueStatus(kind: kind, head: indices.head, tail: indices.tail, capacity: indices.capacity,
                           fullStalls: indices.fullStalls, emptyWaits: indices.emptyWaits,
                           isConsistent: consistent, pending: pending)
    }

    private func entry(_ kind: QueueKind, at position: UInt64, now: UInt64) -> QueueEntry {
        let e = observer.entry(kind, at: position)
        let op = OpID(rawValue: e.op_id)
        var result = QueueEntry(position: position, opID: e.op_id, opcode: e.opcode, length: e.length,
                                userData: e.user_data, result: e.result, slot: op.slot, generation: op.generation)
        if op.slot < observer.layout.slotCount {
            let slot = observer.slot(op.slot)
            result.slotState = ObservedSlotState(raw: slot.rawState)
            result.generationMatches = slot.generation == op.generation
            if slot.generation == op.generation { result.ageNanoseconds = Self.age(now, slot.submittedNanoseconds) }
        }
        return result
    }
}
