import CEvering

/// The ABI 1.1 claim word of a side block (`ev_side.owner`): `pid | (start_time mod 2³²) << 32`.
/// 0 means unowned; a real process never has pid 0, so its word is never 0. The start time
/// makes a recycled pid a different owner.
public struct SideOwner: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(_ identity: ProcessIdentity) {
        rawValue = UInt64(UInt32(bitPattern: identity.pid)) | (identity.startTime & 0xffff_ffff) << 32
    }

    public static let none = SideOwner(rawValue: 0)

    /// A heartbeat older than this says its side is dead when its pid cannot be judged here
    /// (another pid namespace): five periods of the 50 ms ticker (docs/ABI.md "Heartbeat and
    /// liveness").
    public static let heartbeatTimeoutNanoseconds: UInt64 = 250_000_000

    public var pid: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: rawValue)) }
    /// The low 32 bits of the owner's start time (clock ticks after boot).
    public var startTimeLow32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }

    /// Whether `identity` is the process this word names.
    public func names(_ identity: ProcessIdentity) -> Bool { self == SideOwner(identity) }

    /// Whether the owner is alive, judged by its pid in this pid namespace: the pid must exist
    /// with the recorded start time (low 32 bits), and `ProcessIdentity.liveness` must find it
    /// present: running, stopped (SIGSTOP, a debugger) or blocked in the kernel still hold
    /// their side; a zombie does not.
    public var isAliveByPid: Bool {
        guard pid > 0, let now = ProcessIdentity.startTime(of: pid) else { return false }
        guard UInt32(truncatingIfNeeded: now) == startTimeLow32 else { return false }  // pid reused
        return ProcessIdentity(pid: pid, startTime: now).liveness.isPresent
    }

    public var description: String { rawValue == 0 ? "none" : "pid \(pid) (start \(startTimeLow32))" }
}
