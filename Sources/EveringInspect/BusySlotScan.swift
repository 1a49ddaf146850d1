import CEvering
import Evering

/// The second pass of a slot-table read: full records for the slots the state pass found
/// busy. This is the one place the inspector touches the mapping through a pointer itself.
///
/// Why not `RingObserver.slot(_:)`: it is a cross-module call that re-derives the slot
/// pointer from the layout (a struct copy) and checks bounds each time; for a 65,536-slot
/// table that alone cost more than the 1 ms budget of issue 4. Here the base pointer is
/// taken once from the region's validated layout and indices come from a state buffer of
/// exactly `slotCount` entries, so every access stays inside the slot section.
enum BusySlotScan {
    /// Records for every index whose state in `states` is non-zero and is still non-free
    /// when its full record is read. `states.count` must equal the ring's slot count.
    static func records(observer: RingObserver, states: UnsafeBufferPointer<UInt32>, busyCount: Int,
                        now: UInt64) -> [SlotTable.Record] {
        let region = observer.region
        precondition(states.count == Int(region.layout.slotCount), "state buffer does not match the slot table")
        let slots = UnsafePointer(region.slots)  // read-only: the observer's mapping is PROT_READ
        // Written in place rather than appended: at 65,536 records the per-append checks show.
        // `busyCount` is the number of non-zero entries of `states`, the only ones written;
        // the bound check below keeps that a guarantee rather than an assumption.
        let capacity = max(busyCount, 0)
        let records = [SlotTable.Record](unsafeUninitializedCapacity: capacity) { out, written in
            written = 0
            for index in 0..<states.count where states[index] != 0 && written < capacity {
                let slot = slots + index
                // Acquire pairs with the driver's release store of state after it wrote the
                // other fields (as in RingObserver.slot): the fields below belong to this state.
                let raw = ev_load_acquire_u32(ev_slot_state_ptr(UnsafeMutablePointer(mutating: slot)))
                let state = SlotStateName(raw: raw)
                if state == .free { continue }  // freed since the state pass
                let s = slot.pointee
                let completed = state == .completed && s.completed_ns != 0
                (out.baseAddress! + written).initialize(to: SlotTable.Record(
                    index: UInt32(index), state: state, rawState: raw, generation: s.generation, opcode: s.opcode,
                    length: s.length, userData: s.user_data, ageNanoseconds: SnapshotReader.age(now, s.submitted_ns),
                    latencyNanoseconds: completed ? s.completed_ns &- s.submitted_ns : nil,
                    completedAgeNanoseconds: completed ? SnapshotReader.age(now, s.completed_ns) : nil))
                written += 1
            }
        }
        return records
    }
}
