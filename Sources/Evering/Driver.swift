import CEvering

/// The requester's operation tracker over the slot table in shared memory.
///
/// Only the requester writes slots; the inspector reads them. A local free stack makes
/// allocation O(1) without touching other slots. Every rewrite of more than the state word
/// is made under the slot's seqlock (`ev_slot_write_begin`/`end`, in C), so an inspector
/// never reports a record mixed from two ops; a change of the state alone is one atomic
/// store. Transitions:
/// `free → submitted → (waiting) → completed → free`, and
/// `submitted/waiting → cancelled → free` once the completion for it arrives.
public final class Driver: @unchecked Sendable {
    // @unchecked: used from the requester's thread only, like the queues.
    @usableFromInline let slots: UnsafeMutablePointer<ev_slot>
    public let slotCount: UInt32
    @usableFromInline let freeStack: UnsafeMutablePointer<UInt32>
    /// The free stack's height lives behind a pointer, like the queue ends' local indices:
    /// a class's stored `var` costs a dynamic exclusivity check (`swift_beginAccess`) on
    /// every allocation once `allocate` is inlined into a caller that also calls closures.
    @usableFromInline let freeTopStorage: UnsafeMutablePointer<Int>
    @usableFromInline var freeTop: Int {
        @inline(__always) get { freeTopStorage.pointee }
        @inline(__always) set { freeTopStorage.pointee = newValue }
    }
    let owner: AnyObject

    /// What attaching found of a previous requester's run (docs/ABI.md "Recovery").
    public struct Recovery: Equatable, Sendable {
        /// Submitted or waiting slots now cancelled: freed when their completions arrive.
        public var cancelled = 0
        /// Slots freed at once: completed but never released, or cancelled ones that no
        /// responder will answer (the responder is gone and their request is not queued).
        public var freed = 0
        /// Slots in a state the ABI does not define, left alone (never handed out).
        public var unknown = 0
    }

    /// What this driver reclaimed at attach.
    public let recovery: Recovery

    /// - Parameters:
    ///   - region: a writable mapping.
    ///   - responderGone: no live responder is attached, so only requests still queued in the
    ///     submission queue can ever be answered (by a responder that attaches later).
    ///   - queuedSlots: the slots (and generations) of the requests in the submission queue.
    ///
    /// Slots a previous requester left in use are reclaimed under their seqlock: in-flight
    /// ones become cancelled (a responder may still write their buffers) and are freed when
    /// their completions arrive; completed ones are freed. With the responder gone, cancelled
    /// slots whose requests are not queued are freed too: nothing will answer them.
    init(region: SharedRegion, responderGone: Bool = false, queuedSlots: Set<OpID> = []) {
        slots = region.slots
        slotCount = region.layout.slotCount
        freeStack = .allocate(capacity: Int(slotCount))
        freeTopStorage = .allocate(capacity: 1)
        freeTopStorage.initialize(to: 0)
        owner = region
        var recovery = Recovery()
        for index in 0..<Int(slotCount) {
            let slot = slots + index
            // Relaxed: we are the only writer of slots (the previous requester is gone).
            let state = ev_load_relaxed_u32(ev_slot_state_ptr(slot))
            let queued = queuedSlots.contains(OpID(slot: UInt32(index), generation: slot.pointee.generation))
            let next: SlotState
            switch SlotState(rawValue: state) {
            case .free?: continue
            case .submitted?, .waiting?:
                if responderGone && !queued { next = .free; recovery.freed += 1 } else { next = .cancelled; recovery.cancelled += 1 }
            case .cancelled?:
                if responderGone && !queued { next = .free; recovery.freed += 1 } else { continue }
            case .completed?:
                next = .free
                recovery.freed += 1
            case nil:
                recovery.unknown += 1
                continue
            }
            ev_slot_write_begin(slot)
            // Release: as in allocate.
            ev_store_release_u32(ev_slot_state_ptr(slot), next.rawValue)
            ev_slot_write_end(slot)
        }
        self.recovery = recovery
        // Push in reverse so slot 0 is handed out first (friendlier to read in the inspector).
        for index in stride(from: Int(slotCount) - 1, through: 0, by: -1) {
            // Relaxed: we are the only writer of slot state; nobody else's writes to order with.
            if ev_load_relaxed_u32(ev_slot_state_ptr(slots + index)) == SlotState.free.rawValue {
                freeStack[freeTop] = UInt32(index)
                freeTop += 1
            }
        }
    }

    deinit {
        freeStack.deallocate()
        freeTopStorage.deallocate()
    }

    /// Slots not in any state but free.
    public var freeCount: Int { freeTop }
    public var inUseCount: Int { Int(slotCount) - freeTop }

    /// Takes a free slot and marks it submitted. Nil when every slot is in use.
    @inlinable
    public func allocate(opcode: UInt16, length: UInt32, userData: UInt64) -> OpID? {
        guard freeTop > 0 else { return nil }
        freeTop -= 1
        let index = freeStack[freeTop]
        let slot = slots + Int(index)
        let generation = slot.pointee.generation &+ 1  // plain: we are the only writer of slots
        let submittedAt = ev_monotonic_ns()
        // The whole record changes: under the slot's seqlock (docs/ABI.md "Slot records").
        ev_slot_write_begin(slot)
        ev_slot_store_allocated(slot, generation, opcode, length, submittedAt, userData)
        // Release pairs with a 1.0 inspector's acquire load of state: it sees the fields
        // above with the new state (a 1.1 inspector relies on the seq).
        ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.submitted.rawValue)
        ev_slot_write_end(slot)
        return OpID(slot: index, generation: generation)
    }

    /// The state of `op`, or nil when the slot has moved on to a newer op.
    public func state(of op: OpID) -> SlotState? {
        guard let slot = slotPointer(op) else { return nil }
        // Relaxed: only this thread writes slot state.
        return SlotState(rawValue: ev_load_relaxed_u32(ev_slot_state_ptr(slot)))
    }

    /// Records that the requester now waits for `op` (submitted → waiting).
    public func markWaiting(_ op: OpID) {
        guard let slot = slotPointer(op) else { return }
        if ev_load_relaxed_u32(ev_slot_state_ptr(slot)) == SlotState.submitted.rawValue {  // Relaxed: we are the only writer.
            // Release: the inspector's acquire load sees a consistent slot.
            ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.waiting.rawValue)
        }
    }

    /// Gives up on an op still in flight. Its slot stays pinned (state cancelled) until the
    /// completion arrives. Returns false if the op already completed or is stale.
    @discardableResult
    public func cancel(_ op: OpID) -> Bool {
        guard let slot = slotPointer(op) else { return false }
        let state = ev_load_relaxed_u32(ev_slot_state_ptr(slot))  // Relaxed: we are the only writer.
        guard state == SlotState.submitted.rawValue || state == SlotState.waiting.rawValue else { return false }
        // Release: as in allocate.
        ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.cancelled.rawValue)
        return true
    }

    /// What a completion entry did to the slot table.
    public enum CompletionOutcome: Equatable, Sendable {
        /// The op is now completed and waits for `release`.
        case completed(Completion)
        /// The op had been cancelled; its slot is free again.
        case reclaimedCancelled(OpID)
        /// No live op has this id (out of range, stale generation, or not in flight).
        case unknown(OpID)
    }

    /// Applies one completion-queue entry.
    @inlinable
    public func complete(_ entry: ev_entry) -> CompletionOutcome {
        complete(entry, completedAt: ev_monotonic_ns())
    }

    /// `complete` with the completion time supplied by the caller (one clock read for a
    /// batch of entries taken off the completion queue together); CLOCK_MONOTONIC ns.
    @inlinable
    public func complete(_ entry: ev_entry, completedAt now: UInt64) -> CompletionOutcome {
        let op = OpID(rawValue: entry.op_id)
        guard let slot = slotPointer(op) else { return .unknown(op) }
        let state = ev_load_relaxed_u32(ev_slot_state_ptr(slot))  // Relaxed: we are the only writer.
        if state == SlotState.cancelled.rawValue {
            ev_slot_write_begin(slot)
            ev_slot_store_completion(slot, now, slot.pointee.result, slot.pointee.result_length)
            // Release: as in allocate.
            ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.free.rawValue)
            ev_slot_write_end(slot)
            freeStack[freeTop] = op.slot
            freeTop += 1
            return .reclaimedCancelled(op)
        }
        guard state == SlotState.submitted.rawValue || state == SlotState.waiting.rawValue else { return .unknown(op) }
        ev_slot_write_begin(slot)
        ev_slot_store_completion(slot, now, entry.result, entry.length)
        // Release: as in allocate.
        ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.completed.rawValue)
        ev_slot_write_end(slot)
        return .completed(Completion(op: op, opcode: slot.pointee.opcode, result: entry.result, length: Int(entry.length),
                                     userData: slot.pointee.user_data,
                                     latencyNanoseconds: now &- slot.pointee.submitted_ns))
    }

    /// The stored completion of a completed op, or nil.
    public func completion(of op: OpID) -> Completion? {
        guard let slot = slotPointer(op),
              ev_load_relaxed_u32(ev_slot_state_ptr(slot)) == SlotState.completed.rawValue else { return nil }  // Relaxed: we are the only writer.
        return Completion(op: op, opcode: slot.pointee.opcode, result: slot.pointee.result,
                          length: Int(slot.pointee.result_length), userData: slot.pointee.user_data,
                          latencyNanoseconds: slot.pointee.completed_ns &- slot.pointee.submitted_ns)
    }

    /// Frees the slot of a completed op (its buffer may be reused from now on).
    @inlinable
    public func release(_ op: OpID) {
        guard let slot = slotPointer(op) else { preconditionFailure("release of stale op \(op)") }
        precondition(ev_load_relaxed_u32(ev_slot_state_ptr(slot)) == SlotState.completed.rawValue,  // Relaxed: we are the only writer.
                     "release of op \(op) that has not completed")
        // Release: as in allocate.
        ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.free.rawValue)
        freeStack[freeTop] = op.slot
        freeTop += 1
    }

    /// Returns a just-allocated op's slot when its submission could not be queued.
    @usableFromInline
    func abandon(_ op: OpID) {
        guard let slot = slotPointer(op) else { return }
        // Release: as in allocate.
        ev_store_release_u32(ev_slot_state_ptr(slot), SlotState.free.rawValue)
        freeStack[freeTop] = op.slot
        freeTop += 1
    }

    @inlinable
    func slotPointer(_ op: OpID) -> UnsafeMutablePointer<ev_slot>? {
        guard op.slot < slotCount else { return nil }
        let slot = slots + Int(op.slot)
        return slot.pointee.generation == op.generation ? slot : nil
    }
}
