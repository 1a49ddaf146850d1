import EveringDashboard
import EveringInspect

/// Hand-built inputs for the render tests. Times are ns on a made-up monotonic clock.
enum DashboardFixtures {
    static let second: UInt64 = 1_000_000_000
    static let now: UInt64 = 500 * second

    static func side(_ role: SideRole, pid: Int32, liveness: Liveness = .alive, heartbeat: UInt64? = 20_000_000) -> SideStatus {
        SideStatus(role: role, state: .attached, rawState: 1, pid: pid, startTime: 7, liveness: liveness,
                   heartbeatAgeNanoseconds: heartbeat)
    }

    /// A ring of `slotCount` slots; `inFlight` maps slot index -> (state, age).
    static func snapshot(slotCount: UInt32 = 1024, sq: (UInt64, UInt64) = (123_456, 123_468), sqCapacity: UInt32 = 256,
                         cq: (UInt64, UInt64) = (123_450, 123_452), inFlight: [UInt32: (ObservedSlotState, UInt64)] = [:],
                         responder: SideStatus? = nil, time: UInt64 = now) -> Snapshot {
        let records = inFlight.keys.sorted().map { index in
            SlotTable.Record(index: index, state: inFlight[index]!.0, rawState: 1, generation: 9, opcode: 2, length: 16,
                             ageNanoseconds: inFlight[index]!.1)
        }
        var counts = SlotTable.Counts()
        for record in records { counts[record.state] += 1 }
        counts.free = Int(slotCount) - records.count
        let pending = sq.1 > sq.0
            ? [QueueEntry(position: sq.0, opID: UInt64(9) << 32 | 5, opcode: 2, length: 16, slot: 5, generation: 9,
                          slotState: .submitted, generationMatches: true, ageNanoseconds: 3 * second)]
            : []
        return Snapshot(source: .evering, name: "/evering-demo", takenAtMonotonicNanoseconds: time,
                        takenAtRealtimeNanoseconds: 1_000 * second,
                        header: HeaderStatus(abiMajor: 1, abiMinor: 0, totalSize: 4 << 20, createdAtNanoseconds: 900 * second,
                                             creatorPID: 100, refcount: 2, flags: 0, slotCount: slotCount, bufferSize: 256),
                        requester: side(.requester, pid: 100), responder: responder ?? side(.responder, pid: 101),
                        submission: QueueStatus(kind: .submission, head: sq.0, tail: sq.1, capacity: sqCapacity,
                                                fullStalls: 3, emptyWaits: 40, pending: pending),
                        completion: QueueStatus(kind: .completion, head: cq.0, tail: cq.1, capacity: 256),
                        slots: SlotTable(slotCount: slotCount, counts: counts, busy: records))
    }

    /// History of `count` samples one second apart ending at `now`, with steady rates.
    static func history(count: Int = 20, rate: Double = 15_000) -> [Sample] {
        (0..<count).map { i in
            let time = now - UInt64(count - 1 - i) * second
            let used = UInt64(i % 8)
            return Sample(time: time, submission: QueueSample(head: 1000, tail: 1000 + used, capacity: 256),
                          completion: QueueSample(head: 900, tail: 901, capacity: 256),
                          rates: i == 0 ? nil : Rates(intervalSeconds: 1, submissionEnqueuesPerSecond: rate,
                                                      submissionDequeuesPerSecond: rate, completionEnqueuesPerSecond: rate,
                                                      completionDequeuesPerSecond: rate))
        }
    }

    static func finding(_ rule: Finding.Rule, _ severity: Finding.Severity, _ subject: String, _ message: String) -> Finding {
        Finding(rule: rule, severity: severity, subject: subject, message: message)
    }

    static func alerts(_ findings: [Finding], firstSeen: UInt64 = now - 2 * second) -> [AlertLog.Entry] {
        var log = AlertLog()
        log.update(findings, at: firstSeen)
        log.update(findings, at: now)
        return log.ordered
    }

    static func healthyInput() -> DashboardInput {
        DashboardInput(name: "evering-demo", connection: .live,
                       snapshot: snapshot(inFlight: [5: (.submitted, 3 * second), 6: (.waiting, 2 * second),
                                                     700: (.cancelled, 1 * second)]),
                       history: history())
    }
}
