import CEvering

/// The ABI 1.1 protocol for taking and giving back one side of a ring (docs/ABI.md,
/// "Claiming a side"): one compare-and-swap on the side's owner word decides who holds it,
/// so of any number of racing claimants exactly one wins, and of any number of rescuers of a
/// dead owner exactly one takes over. `SideAttachment` adds the heartbeat around it.
package enum SideClaim {
    /// How a won claim came about.
    package struct Outcome: Equatable, Sendable {
        /// The dead owner this claim took the side over from, if any.
        package var tookOverFrom: SideOwner?
        /// The block was still marked attached by a dead holder, whose reference we inherited.
        package var inheritedReference: Bool
    }

    /// A heartbeat older than this says its side is dead, when its pid cannot be judged here.
    package static let heartbeatTimeout = SideOwner.heartbeatTimeoutNanoseconds

    /// Claims `side` for `me`, writing `capabilities` (`ev_capability` bits) into the block.
    ///
    /// - Throws: `unsupportedWriterFeatures` if the ring requires duties this build lacks;
    ///   `sideTaken` naming the live owner (or a live 1.0 holder that wrote no owner word).
    package static func claim(_ region: SharedRegion, side: RingSide, me: ProcessIdentity = .current,
                              pidNamespace: UInt64 = PidNamespace.current,
                              capabilities: UInt32 = 0) throws(RingError) -> Outcome {
        precondition(region.isWritable, "claiming a side needs a writable mapping")
        let header = region.header
        // Plain: written by the creator before `ready`, which validation loaded with acquire.
        let unknown = header.pointee.writer_features & ~supportedWriterFeatures
        if unknown != 0 { throw .unsupportedWriterFeatures(region.name.path, bits: unknown) }

        let block = region.side(side)
        let mine = SideOwner(me)
        precondition(mine != .none, "a process's owner word is never 0")
        let ownerWord = ev_side_owner_ptr(block)
        // Acquire pairs with a releasing owner's store of 0 (or a claimant's CAS): what it
        // wrote to the block before is visible.
        var current = ev_load_acquire_u64(ownerWord)
        var tookOverFrom: SideOwner? = nil
        while true {
            if current == 0 {
                // No 1.1 owner. A 1.0 holder writes no owner word: it shows only as an attached
                // state with a live pid (docs/ABI.md "Compatibility").
                if let holder = liveLegacyHolder(block) { throw .sideTaken(side: side, pid: holder.pid) }
            } else {
                let owner = SideOwner(rawValue: current)
                if owner == mine || isAlive(owner, block: block, pidNamespace: pidNamespace) {
                    throw .sideTaken(side: side, pid: owner.pid)
                }
            }
            // Acq-rel: acquire pairs with the previous owner's release of the word (its last
            // block writes are visible); release orders nothing yet (the block is written next).
            // Only one CAS from this exact value can succeed; a loser gets the new value back.
            var expected = current
            if ev_compare_exchange_acq_rel_u64(ownerWord, &expected, mine.rawValue) != 0 {
                tookOverFrom = current == 0 ? nil : SideOwner(rawValue: current)
                break
            }
            current = expected
        }

        // Acquire pairs with the last holder's release store of state: ATTACHED means it died
        // holding its reference (a clean release stores DETACHED before dropping it).
        let previousState = ev_load_acquire_u32(ev_side_state_ptr(block))
        // Relaxed: a statistic for inspectors.
        _ = ev_fetch_add_relaxed_u32(ev_side_claims_ptr(block), 1)
        block.pointee.pid = me.pid
        block.pointee.start_time = me.startTime
        block.pointee.pid_ns = pidNamespace
        block.pointee.capabilities = capabilities
        block.pointee.attached_at_ns = ev_realtime_ns()
        block.pointee.detached_at_ns = 0
        // Relaxed: the heartbeat is a timestamp, it publishes nothing else.
        ev_store_relaxed_u64(ev_side_heartbeat_ptr(block), ev_monotonic_ns())
        // Release pairs with readers' acquire load of state: the fields above come first.
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_ATTACHED.rawValue)
        let inherit = previousState == EV_SIDE_ATTACHED.rawValue
        if !inherit { addReference(header) }
        return Outcome(tookOverFrom: tookOverFrom, inheritedReference: inherit)
    }

    /// Gives the side back in the order docs/ABI.md "Release" fixes: state DETACHED, the
    /// reference, then the owner word. Returns true when this dropped the last reference
    /// (the caller may unlink). A side taken over from us (a rescuer misjudged us dead) is
    /// left alone: its block, reference and word are the new owner's.
    @discardableResult
    package static func release(_ region: SharedRegion, side: RingSide, me: ProcessIdentity = .current) -> Bool {
        let block = region.side(side)
        let mine = SideOwner(me)
        let ownerWord = ev_side_owner_ptr(block)
        // Acquire: pairs with a rescuer's CAS, so a takeover is seen before we touch the block.
        guard ev_load_acquire_u64(ownerWord) == mine.rawValue else { return false }
        block.pointee.detached_at_ns = ev_realtime_ns()
        // Release pairs with the peer's acquire load of state (PeerMonitor.check).
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_DETACHED.rawValue)
        let last = dropReference(region.header)
        // Acq-rel CAS back to 0 (a plain release store in docs/ABI.md; the CAS also leaves a
        // word alone that a rescuer took in the meantime). Release pairs with the next
        // claimant's acquire: it sees our reference already dropped.
        var expected = mine.rawValue
        _ = ev_compare_exchange_acq_rel_u64(ownerWord, &expected, 0)
        return last
    }

    /// Whether `owner` is alive. Its pid means something here only when it recorded our pid
    /// namespace (or none); otherwise only its heartbeat can tell.
    static func isAlive(_ owner: SideOwner, block: UnsafeMutablePointer<ev_side>, pidNamespace: UInt64) -> Bool {
        // Acquire pairs with the owner's release store of state, made after it wrote pid_ns:
        // only a published block (ATTACHED, our owner's pid) says which namespace it is in.
        let published = ev_load_acquire_u32(ev_side_state_ptr(block)) == EV_SIDE_ATTACHED.rawValue
            && block.pointee.pid == owner.pid
        let namespace = published ? block.pointee.pid_ns : 0
        if namespace == 0 || pidNamespace == 0 || namespace == pidNamespace { return owner.isAliveByPid }
        // Relaxed: a timestamp, nothing is published with it.
        let beat = ev_load_relaxed_u64(ev_side_heartbeat_ptr(block))
        let now = ev_monotonic_ns()
        return now < beat || now - beat <= heartbeatTimeout
    }

    /// A 1.0 holder (no owner word) still attached and present (alive, stopped or in the kernel), if there is one.
    static func liveLegacyHolder(_ block: UnsafeMutablePointer<ev_side>) -> ProcessIdentity? {
        // Acquire pairs with the holder's release store of state after its pid and start time.
        guard ev_load_acquire_u32(ev_side_state_ptr(block)) == EV_SIDE_ATTACHED.rawValue else { return nil }
        let holder = ProcessIdentity(pid: block.pointee.pid, startTime: block.pointee.start_time)
        return holder.pid > 0 && holder.liveness.isPresent ? holder : nil  // a stopped holder still holds it
    }

    /// `refcount += 1`, but never above 2: a count already at 2 holds a reference leaked by a
    /// holder that died between its DETACHED store and its decrement, which we inherit.
    static func addReference(_ header: UnsafeMutablePointer<ev_header>) {
        let count = ev_header_refcount_ptr(header)
        // Acquire: the count decides who unlinks, so it orders with the sides' other writes.
        var seen = ev_load_acquire_u32(count)
        // Acq-rel, as the 1.0 fetch-add was; a failed CAS returns the current count in `seen`.
        while seen < 2 && ev_compare_exchange_acq_rel_u32(count, &seen, seen + 1) == 0 {}
    }

    /// `refcount -= 1`, saturating at 0 (a hostile or 1.0 writer may have broken the count).
    /// Returns true when this took the count from 1 to 0.
    static func dropReference(_ header: UnsafeMutablePointer<ev_header>) -> Bool {
        let count = ev_header_refcount_ptr(header)
        // Acquire / acq-rel: as in addReference.
        var seen = ev_load_acquire_u32(count)
        while seen > 0 {
            if ev_compare_exchange_acq_rel_u32(count, &seen, seen - 1) != 0 { return seen == 1 }
        }
        return false
    }
}
