import CEvering

/// Reads the other side's block in the header to tell a dead or departed peer from a
/// slow one. Blocking queue calls consult it about every 100 ms.
public final class PeerMonitor: @unchecked Sendable {
    // @unchecked: immutable fields; the side block is read with the ABI's atomics.
    public let side: RingSide
    let block: UnsafeMutablePointer<ev_side>
    let owner: AnyObject

    public init(region: SharedRegion, side: RingSide) {
        self.side = side
        self.block = region.side(side)
        self.owner = region
    }

    /// Whether the peer advertises `EV_CAP_WAKES_PEER`, so we may sleep on a futex and
    /// count on it to wake us. A peer that has not attached (yet), or a 1.0 peer, does not.
    public var wakesUs: Bool {
        // Acquire pairs with the side's release store of state, made after it wrote its
        // capabilities (plain, before state): seeing ATTACHED, we see its capabilities.
        guard ev_load_acquire_u32(ev_side_state_ptr(block)) == EV_SIDE_ATTACHED.rawValue else { return false }
        return ev_load_relaxed_u32(ev_side_capabilities_ptr(block)) & EV_CAP_WAKES_PEER.rawValue != 0  // Relaxed: ordered by the acquire above.
    }

    /// Throws if the peer detached, died, or its pid now names another process.
    /// A peer that never attached yet is not an error: it may still be starting.
    public func check() throws(RingError) {
        // Acquire pairs with the side's release store of state, made after it wrote
        // pid and start_time: if we see ATTACHED we see the identity that goes with it.
        let state = ev_load_acquire_u32(ev_side_state_ptr(block))
        switch state {
        case EV_SIDE_DETACHED.rawValue:
            throw .peerDetached(side: side)
        case EV_SIDE_ATTACHED.rawValue:
            let identity = ProcessIdentity(pid: block.pointee.pid, startTime: block.pointee.start_time)
            if identity.liveness != .alive { throw .peerDead(side: side, pid: identity.pid) }
        default:
            return
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
