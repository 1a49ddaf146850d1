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
            if identity.liveness.isGone { throw .peerDead(side: side, pid: identity.pid) }
        default:
            return
        }
    }
}

/// Every blocking call's wait: `Backoff` (spin, yield, sleep), plus the deadline and a
/// look at the peer about every 100 ms.
struct BlockingWaiter {
    private var backoff = Backoff()
    private var pauses = 0
    private let deadline: UInt64?
    private var nextPeerCheck: UInt64
    private let peer: PeerMonitor?

    static let peerCheckInterval: UInt64 = 100_000_000

    init(timeout: Duration?, peer: PeerMonitor?) {
        let now = ev_monotonic_ns()
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            // A timeout beyond Int64 nanoseconds (~292 years) is no deadline, not an overflow trap.
            let (wholeNanos, overflow) = max(0, seconds).multipliedReportingOverflow(by: 1_000_000_000)
            deadline = overflow ? nil : now &+ UInt64(wholeNanos) &+ UInt64(max(0, attoseconds) / 1_000_000_000)
        } else {
            deadline = nil
        }
        nextPeerCheck = now &+ Self.peerCheckInterval
        self.peer = peer
    }

    mutating func pause() throws(RingError) {
        backoff.pause()
        pauses &+= 1
        if backoff.isSpinning && pauses & 63 != 0 { return }  // while spinning, read the clock every 64th pause
        let now = ev_monotonic_ns()
        if let deadline, now >= deadline { throw .timedOut }
        if now >= nextPeerCheck {
            nextPeerCheck = now &+ Self.peerCheckInterval
            try peer?.check()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
