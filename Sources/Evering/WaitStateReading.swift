import CEvering

extension RingObserver {
    /// Which of a queue's two waiters: its consumer (waiting for entries) or its producer
    /// (waiting for space).
    public enum WaiterRole: String, Sendable, CaseIterable, Codable {
        case consumer, producer
    }

    /// One `ev_waiter` record as an inspector reads it (docs/ABI.md "Wake-ups (futex)").
    /// All zero in a 1.0 ring (`abi_minor` 0 written by a 1.0 library): callers that know
    /// the ring is 1.0 and its sides advertise no capabilities should say "unknown".
    public struct WaitState: Equatable, Sendable {
        /// Asleep on the futex word right now.
        public var sleeping: Bool
        /// CLOCK_MONOTONIC start of the current wait episode (spinning, backing off or
        /// asleep), 0 while running.
        public var sinceNanoseconds: UInt64
        /// FUTEX_WAKE calls the other side made for this waiter.
        public var wakes: UInt64
        /// Waits that ended by their timeout although the condition already held.
        public var lateWakes: UInt64
        /// The CPU the waiter last announced sleep on (a hint it may leave out: nil).
        public var cpu: Int32?

        public init(sleeping: Bool, sinceNanoseconds: UInt64, wakes: UInt64, lateWakes: UInt64, cpu: Int32? = nil) {
            self.sleeping = sleeping
            self.sinceNanoseconds = sinceNanoseconds
            self.wakes = wakes
            self.lateWakes = lateWakes
            self.cpu = cpu
        }
    }

    /// The first `abi_minor` with wait records and capabilities (1.1): in a ring whose
    /// header says less, those bytes are reserved and mean nothing.
    public static let firstMinorWithWaitRecords = UInt16(EV_ABI_MINOR_1_1)

    public func waitState(_ kind: QueueKind, _ role: WaiterRole) -> WaitState {
        willRead(.queue)
        return region.waitState(kind, role)
    }

    /// The `ev_side.capabilities` bits a side advertises (`EV_CAP_WAKES_PEER`, ...).
    public func capabilities(_ side: RingSide) -> UInt32 { region.capabilities(side) }
}

extension SharedRegion {
    public func waitState(_ kind: RingObserver.QueueKind, _ role: RingObserver.WaiterRole) -> RingObserver.WaitState {
        let block = queueBlock(layout.queue(kind))
        let record = role == .consumer ? ev_queue_consumer_wait_ptr(block) : ev_queue_producer_wait_ptr(block)
        // Relaxed, all five: the record publishes no other data; an inspector that wants a
        // stable reading compares two samples (the lost wake-up rule does).
        let cpu = ev_load_relaxed_u32(ev_waiter_cpu_ptr(record))
        return RingObserver.WaitState(sleeping: ev_load_relaxed_u32(ev_waiter_sleeping_ptr(record)) != 0,
                                      sinceNanoseconds: ev_load_relaxed_u64(ev_waiter_since_ptr(record)),
                                      wakes: ev_load_relaxed_u64(ev_waiter_wakes_ptr(record)),
                                      lateWakes: ev_load_relaxed_u64(ev_waiter_late_wakes_ptr(record)),
                                      cpu: cpu == 0 ? nil : Int32(bitPattern: cpu &- 1))
    }

    public func capabilities(_ side: RingSide) -> UInt32 {
        // Relaxed: written before the side's release of state; a reader that wants them
        // tied to an attach loads state (acquire) first, as sideInfo does.
        ev_load_relaxed_u32(ev_side_capabilities_ptr(self.side(side)))
    }
}

/// The capability bits of `ev_side.capabilities`, for Swift callers.
public enum SideCapability {
    public static let wakesPeer = EV_CAP_WAKES_PEER.rawValue
    public static let slotSeq = EV_CAP_SLOT_SEQ.rawValue
    public static let sleepMembarrier = EV_CAP_SLEEP_MEMBARRIER.rawValue
}
