import Evering

/// The second pass of a slot-table read: full records for the slots the state pass found
/// busy, through `RingObserver.forEachBusySlot` (inlined here, so the 65,536-slot case stays
/// well inside the 1 ms budget of issue 4).
enum BusySlotScan {
    /// Records for every index whose state in `states` is non-zero and is still non-free
    /// when its full record is read, at most `busyCount` of them. `states.count` must
    /// equal the ring's slot count.
    static func records(observer: RingObserver, states: UnsafeBufferPointer<UInt32>, busyCount: Int,
                        now: UInt64) -> [SlotTable.Record] {
        precondition(states.count == Int(observer.layout.slotCount), "state buffer does not match the slot table")
        let capacity = max(busyCount, 0)
        // Written in place rather than appended: at 65,536 records the per-append checks show.
        return [SlotTable.Record](unsafeUninitializedCapacity: capacity) { out, written in
            written = 0
            observer.forEachBusySlot(states: states) { index, record in
                guard written < capacity else { return }  // more became busy since the count
                guard let s = record else {
                    // Rewritten through every seqlock copy: say so rather than mix two ops.
                    let raw = states[Int(index)]
                    (out.baseAddress! + written).initialize(to: SlotTable.Record(
                        index: index, state: ObservedSlotState(raw: raw), rawState: raw, generation: 0, opcode: 0,
                        length: 0, ageNanoseconds: 0, isChanging: true))
                    written += 1
                    return
                }
                let state = ObservedSlotState(raw: s.rawState)
                let completed = state == .completed && s.completedNanoseconds != 0
                (out.baseAddress! + written).initialize(to: SlotTable.Record(
                    index: index, state: state, rawState: s.rawState, generation: s.generation, opcode: s.opcode,
                    length: s.length, userData: s.userData, ageNanoseconds: SnapshotReader.age(now, s.submittedNanoseconds),
                    latencyNanoseconds: completed ? s.completedNanoseconds &- s.submittedNanoseconds : nil,
                    completedAgeNanoseconds: completed ? SnapshotReader.age(now, s.completedNanoseconds) : nil))
                written += 1
            }
        }
    }
}
