import CEvering
import Synchronization

/// Reads the other side's block in the header to tell a dead or departed peer from a
/// slow one. Blocking queue calls consult it about every 100 ms.
public final class PeerMonitor: @unchecked Sendable {
    // @unchecked: immutable fields; the side block is read with the ABI's atomics.
    public let side: RingSide
    let block: UnsafeMutablePointer<ev_side>
    let owner: AnyObject
    /// The first impossible index a queue end of ours read from this peer (sticky: a peer
    /// that lied once is not trusted again). Set off the fast path, read every ~100 ms.
    private let corruption = Mutex<RingError?>(nil)

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

    /// Throws if the peer detached, died, or its pid now names another process, or if one of
    /// our queue ends caught it publishing an impossible index (`corruptPeer`).
    /// A peer that never attached yet is not an error: it may still be starting.
    public func check() throws(RingError) {
        if let corruption = corruption.withLock({ $0 }) { throw corruption }
        // Acquire pairs with the side's release store of state, made after it wrote
        // pid and start_time: if we see ATTACHED we see the identity that goes with it.
        let state = ev_load_acquire_u32(ev_side_state_ptr(block))
        switch state {
        case EV_SIDE_DETACHED.rawValue:
            throw .peerDetached(side: side)
        case EV_SIDE_ATTACHED.rawValue:
            let identity = ProcessIdentity(pid: block.pointee.pid, startTime: block.pointee.start_time)
            // Plain: pid_ns is written before the state we loaded with acquire (0 in 1.0 rings).
            if !PidNamespace.canJudgeByPid(recorded: block.pointee.pid_ns) {
                // Another pid namespace: its pid names nothing here; its heartbeat decides.
                // Relaxed: a timestamp, nothing is published with it.
                let beat = ev_load_relaxed_u64(ev_side_heartbeat_ptr(block))
                let now = ev_monotonic_ns()
                if beat == 0 || (now > beat && now - beat > SideOwner.heartbeatTimeoutNanoseconds) {
                    throw .peerDead(side: side, pid: identity.pid)
                }
                return
            }
            if identity.liveness.isGone { throw .peerDead(side: side, pid: identity.pid) }
        default:
            return
        }
    }
}

extension PeerMonitor {
    /// Records that the peer published an impossible index; every later `check` throws it,
    /// which ends the blocking calls that consult this monitor.
    func reportCorruption(_ error: RingError) {
        corruption.withLock { if $0 == nil { $0 = error } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
