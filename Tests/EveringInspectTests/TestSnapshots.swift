@testable import EveringInspect

/// Hand-built snapshots for the pure tests. Times are in ns on a made-up monotonic clock.
enum TestSnapshots {
    static let second: UInt64 = 1_000_000_000

    static func side(_ role: SideRole, liveness: Liveness = .alive, state: SideStatus.AttachState = .attached,
                     heartbeatAge: UInt64? = 10_000_000, pid: Int32 = 4242) -> SideStatus {
        SideStatus(role: role, state: state, rawState: state == .attached ? 1 : state == .detached ? 2 : 0, pid: pid,
                   startTime: 99, liveness: liveness, heartbeatAgeNanoseconds: heartbeatAge)
    }

    /// A ring with `inFlight` submitted ops of age `age`, queues at the given indices.
    static func busy(time: UInt64 = 100 * second, sq: (UInt64, UInt64) = (1000, 1004), cq: (UInt64, UInt64) = (990, 992),
                     slotCount: UInt32 = 64, inFlight: Int = 6, age: UInt64 = 50_000,
                     requester: SideStatus? = nil, responder: SideStatus? = nil) -> Snapshot {
        var busy: [SlotTable.Record] = []
        for i in 0..<inFlight {
            busy.append(SlotTable.Record(index: UInt32(i), state: .submitted, rawState: 1, generation: 7, opcode: 3,
                                         length: 16, ageNanoseconds: age))
        }
        let counts = SlotTable.Counts(free: Int(slotCount) - inFlight, submitted: inFlight)
        var sqPending: [QueueEntry] = []
        if sq.1 > sq.0, inFlight > 0 {
            sqPending.append(QueueEntry(position: sq.0, opID: UInt64(7) << 32, opcode: 3, length: 16, slot: 0,
                                        generation: 7, slotState: .submitted, generationMatches: true, ageNanoseconds: age))
        }
        return Snapshot(source: .evering, name: "/test", takenAtMonotonicNanoseconds: time,
                        header: HeaderStatus(abiMajor: 1, abiMinor: 0, totalSize: 1 << 20, createdAtNanoseconds: 1,
                                             creatorPID: 4242, refcount: 2, flags: 0, slotCount: slotCount, bufferSize: 64),
                        requester: requester ?? side(.requester), responder: responder ?? side(.responder, pid: 4343),
                        submission: QueueStatus(kind: .submission, head: sq.0, tail: sq.1, capacity: 16, pending: sqPending),
                        completion: QueueStatus(kind: .completion, head: cq.0, tail: cq.1, capacity: 16),
                        slots: SlotTable(slotCount: slotCount, counts: counts, busy: busy))
    }
}
