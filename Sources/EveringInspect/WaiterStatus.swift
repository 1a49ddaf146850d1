import Evering

/// Which of a queue's two waiters: its consumer (waiting for entries) or its producer
/// (waiting for space). The library's `RingObserver.WaiterRole` ("consumer", "producer").
public typealias WaiterRole = RingObserver.WaiterRole

/// One ABI 1.1 wait record (`ev_waiter`, docs/ABI.md "Wake-ups (futex)") as the inspector
/// shows it: the side that consumes `queue` waiting for entries, or the side that produces
/// into it waiting for space. Read with relaxed loads: one reading is a hint, and the
/// `lost-wake-up` rule judges two samples.
public struct WaiterStatus: Codable, Equatable, Sendable {
    /// What the record says the side is doing.
    public enum Activity: String, Codable, Sendable {
        /// Not in a wait episode (`since_ns` 0): working, or spinning before it would sleep.
        case running
        /// In a wait episode past its spin (`since_ns` set) but not on the futex now:
        /// re-checking the queue, about to sleep, or woken and not yet back at work.
        case waiting
        /// Asleep on the futex word (`sleeping` = 1).
        case asleep
    }

    /// The queue whose block holds the record.
    public var queue: QueueKind
    /// Consumer (waits for entries) or producer (waits for space).
    public var role: WaiterRole
    /// `sleeping` = 1: asleep on the futex word now.
    public var sleeping: Bool
    /// CLOCK_MONOTONIC start of the current wait episode (`since_ns`); nil while running.
    public var sinceNanoseconds: UInt64?
    /// Snapshot time minus `sinceNanoseconds` (saturating at 0); nil while running.
    public var ageNanoseconds: UInt64?
    /// The CPU the waiter last announced sleep on (a hint; nil when it did not say).
    public var cpu: Int32?
    /// FUTEX_WAKE calls the other side made for this waiter.
    public var wakes: UInt64
    /// Waits that ended by their timeout although the condition already held: lost
    /// wake-ups the sleeper caught itself (0 in a healthy ring).
    public var lateWakes: UInt64

    public init(queue: QueueKind, role: WaiterRole, sleeping: Bool, sinceNanoseconds: UInt64?, ageNanoseconds: UInt64?,
                cpu: Int32? = nil, wakes: UInt64 = 0, lateWakes: UInt64 = 0) {
        self.queue = queue
        self.role = role
        self.sleeping = sleeping
        self.sinceNanoseconds = sinceNanoseconds
        self.ageNanoseconds = ageNanoseconds
        self.cpu = cpu
        self.wakes = wakes
        self.lateWakes = lateWakes
    }

    /// From the library's reading, aged against the snapshot's clock.
    public init(queue: QueueKind, role: WaiterRole, _ state: RingObserver.WaitState, now: UInt64) {
        let since = state.sinceNanoseconds == 0 ? nil : state.sinceNanoseconds
        self.init(queue: queue, role: role, sleeping: state.sleeping, sinceNanoseconds: since,
                  ageNanoseconds: since.map { now > $0 ? now - $0 : 0 }, cpu: state.cpu, wakes: state.wakes,
                  lateWakes: state.lateWakes)
    }

    public var activity: Activity {
        if sleeping { return .asleep }
        return sinceNanoseconds == nil ? .running : .waiting
    }

    /// The side this record belongs to: the queue's consumer or its producer.
    public var side: SideRole { role == .consumer ? queue.consumer : queue.producer }

    /// The side that must wake this waiter: the other end of its queue.
    public var waker: SideRole { role == .consumer ? queue.producer : queue.consumer }

    /// What it waits for: "entries" or "space".
    public var purpose: String { role == .consumer ? "entries" : "space" }

    /// The subject of a finding about this waiter (`lost-wake-up`): the queue for its
    /// consumer ("sq"), the queue's space for its producer ("sq space").
    public var findingSubject: String { role == .consumer ? queue.rawValue : "\(queue.rawValue) space" }
}

extension RingObserver.QueueKind {
    /// The wait record `side` has on this queue: the consumer's for the side that consumes
    /// it, the producer's for the side that produces into it.
    public func waiterRole(of side: SideRole) -> WaiterRole { side == consumer ? .consumer : .producer }
}

/// The `ev_side.capabilities` bits a side advertises to its peer (ABI 1.1), encoded in JSON
/// as their names (`["wakes-peer", "slot-seq"]`); a bit this inspector does not know is
/// named `bit N`.
public struct SideCapabilities: OptionSet, Codable, Equatable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Follows the wake-up protocol: FUTEX_WAKEs a peer that announced sleep.
    public static let wakesPeer = SideCapabilities(rawValue: SideCapability.wakesPeer)
    /// (requester) writes slot records under their seqlock.
    public static let slotSeq = SideCapabilities(rawValue: SideCapability.slotSeq)
    /// Issues membarrier when it announces sleep, so its wakers may skip their fence.
    public static let sleepMembarrier = SideCapabilities(rawValue: SideCapability.sleepMembarrier)

    static let known: [(SideCapabilities, String)] = [(.wakesPeer, "wakes-peer"), (.slotSeq, "slot-seq"),
                                                       (.sleepMembarrier, "sleep-membarrier")]

    /// The bits by name, in bit order.
    public var names: [String] {
        (0..<32).compactMap { bit -> String? in
            let value = UInt32(1) << bit
            guard rawValue & value != 0 else { return nil }
            return Self.known.first { $0.0.rawValue == value }?.1 ?? "bit \(bit)"
        }
    }

    /// "wakes-peer, slot-seq", or "none".
    public var text: String { rawValue == 0 ? "none" : names.joined(separator: ", ") }

    public init(from decoder: Decoder) throws {
        var bits: UInt32 = 0
        for name in try decoder.singleValueContainer().decode([String].self) {
            if let known = Self.known.first(where: { $0.1 == name }) {
                bits |= known.0.rawValue
            } else if name.hasPrefix("bit "), let bit = UInt32(name.dropFirst(4)), bit < 32 {
                bits |= 1 << bit
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "unknown capability '\(name)'"))
            }
        }
        rawValue = bits
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}
