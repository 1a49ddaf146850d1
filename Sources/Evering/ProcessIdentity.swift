#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// A process named by its pid *and* its start time, so a recycled pid is not mistaken
/// for the process that once had it.
public struct ProcessIdentity: Hashable, Sendable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks after boot when the process started.
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: startTime(of: pid) ?? 0)
    }

    /// What the kernel says about the process the ring recorded. One vocabulary for the
    /// library (peer checks) and the inspector (which adds `unknown` for a side that never
    /// attached, so there is nothing to check).
    public enum Liveness: String, Sendable, Codable, CaseIterable {
        /// Running or sleeping (state R, S, I, W, P...), and started when the ring says it did.
        case alive
        /// Stopped by a signal or a tracer (state T or t): alive, but it cannot make progress
        /// until it gets SIGCONT.
        case stopped
        /// In an uninterruptible sleep in the kernel (state D): alive, but blocked inside a
        /// system call (I/O, a page fault on a dead mount...).
        case blockedInKernel = "blocked-in-kernel"
        /// Exited but not yet reaped by its parent (state Z or X): it will never run again.
        case zombie
        /// Killed or exiting, still tearing down its memory (`PF_EXITING` in the flags of
        /// /proc/PID/stat; its state letter still reads R or D). A stopped process with a
        /// large mapping stays like this for milliseconds after SIGKILL: it will never run
        /// again, so it is not "alive and hung".
        case exiting
        /// No process has this pid.
        case dead
        /// The pid exists but belongs to a process started later: the original is dead.
        case pidReused = "pid-reused"
        /// Nothing recorded to check (the side never attached). Only the inspector says this.
        case unknown

        /// Dead, exiting, a zombie, or pid reused: the recorded process will never run again.
        public var isGone: Bool { self == .dead || self == .exiting || self == .zombie || self == .pidReused }
        /// Alive in any state (running, stopped, blocked in the kernel).
        public var isPresent: Bool { self == .alive || self == .stopped || self == .blockedInKernel }
    }

    /// Checks the process with `kill(pid, 0)` and its /proc/PID/stat (start time and the
    /// state letter: a zombie answers `kill` but is dead).
    public var liveness: Liveness {
        guard pid > 0 else { return .dead }
        if kill(pid, 0) != 0 && errno == ESRCH { return .dead }  // EPERM still means "exists"
        guard let stat = ProcessStat.read(pid) else { return .dead }  // exited between the two checks
        guard startTime == 0 || stat.startTime == startTime else { return .pidReused }
        return stat.liveness
    }

    /// Field 22 of /proc/PID/stat, or nil when the process does not exist.
    public static func startTime(of pid: Int32) -> UInt64? {
        ProcessStat.read(pid)?.startTime
    }

    /// Parses field 22 of a /proc/PID/stat line (see `ProcessStat.parse`).
    public static func parseStartTime(statLine: String) -> UInt64? {
        ProcessStat.parse(statLine)?.startTime
    }
}

/// The four fields of /proc/PID/stat the ring needs: the state letter (field 3), the
/// kernel's per-task flags (field 9), the start time (field 22) and the pending signals
/// (field 31). The only place /proc/PID/stat is parsed.
public struct ProcessStat: Equatable, Sendable {
    /// R, S, D, Z, T, t, X, I, ... as the kernel prints it.
    public var state: Character
    /// `PF_*` bits (include/linux/sched.h); only `PF_EXITING` is used.
    public var flags: UInt64
    /// Clock ticks after boot when the process started.
    public var startTime: UInt64
    /// Signals pending for the task (bit N-1 for signal N); 0 when the line stops earlier.
    public var pendingSignals: UInt64

    /// include/linux/sched.h: set by do_exit() before the task tears down its memory.
    public static let exitingFlag: UInt64 = 0x4
    /// SIGKILL's bit in `pendingSignals`: a group-fatal SIGKILL is queued on every thread the
    /// moment `kill` returns, before the task runs again to act on it.
    public static let killPendingBit: UInt64 = 1 << (9 - 1)

    public init(state: Character, flags: UInt64 = 0, startTime: UInt64, pendingSignals: UInt64 = 0) {
        self.state = state
        self.flags = flags
        self.startTime = startTime
        self.pendingSignals = pendingSignals
    }

    /// What the state letter, flags and pending signals mean for a process that is still
    /// the recorded one. A SIGKILLed process goes T/S/R → (SIGKILL pending) → R or D with
    /// `PF_EXITING` → Z: from the moment `kill` returns it is never read as alive again.
    public var liveness: ProcessIdentity.Liveness {
        switch state {
        case "Z", "X", "x": return .zombie
        case _ where flags & Self.exitingFlag != 0 || pendingSignals & Self.killPendingBit != 0: return .exiting
        case "T", "t": return .stopped
        case "D": return .blockedInKernel
        default: return .alive
        }
    }

    /// Reads /proc/PID/stat; nil when the process does not exist.
    public static func read(_ pid: Int32) -> ProcessStat? {
        guard pid > 0, let text = SystemCalls.readSmallFile("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// Parses a /proc/PID/stat line. The command name (field 2) may contain spaces and
    /// parentheses, so fields are counted from the *last* ')'. Fields 3 to 22 are required.
    public static func parse(_ statLine: String) -> ProcessStat? {
        // Over the UTF-8 bytes, not Characters: the recorder parses two of these per sample
        // at 100 Hz, and String splitting was a third of its CPU.
        var line = statLine
        return line.withUTF8 { bytes -> ProcessStat? in
            let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")
            guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var i = close + 1
            // Field 3 (state) is 0 here: field 9 (flags) is 6, field 22 (start time) 19,
            // field 31 (pending signals) 28.
            var field = 0
            var state: UInt8 = 0
            var flags: UInt64 = 0
            var start: UInt64? = nil
            while i < bytes.count {
                while i < bytes.count && (bytes[i] == space || bytes[i] == newline) { i += 1 }
                guard i < bytes.count else { break }
                let begin = i
                while i < bytes.count && bytes[i] != space && bytes[i] != newline { i += 1 }
                switch field {
                case 0:
                    guard i - begin == 1, bytes[begin] < 0x80 else { return nil }
                    state = bytes[begin]
                case 6:
                    guard let value = decimal(bytes[begin..<i]) else { return nil }
                    flags = value
                case 19:
                    guard let value = decimal(bytes[begin..<i]) else { return nil }
                    start = value
                case 28:
                    guard let value = decimal(bytes[begin..<i]) else { return nil }
                    return ProcessStat(state: Character(Unicode.Scalar(state)), flags: flags,
                                       startTime: start ?? 0, pendingSignals: value)
                default: break
                }
                field += 1
            }
            guard let start else { return nil }
            return ProcessStat(state: Character(Unicode.Scalar(state)), flags: flags, startTime: start)
        }
    }

    /// An unsigned decimal field; nil on any other byte or on overflow.
    private static func decimal(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return digits.isEmpty ? nil : value
    }
}

/// Monotonic and wall clocks in nanoseconds, the units the ABI stores.
public enum Clock {
    @inlinable public static var monotonicNanoseconds: UInt64 { ev_monotonic_ns() }
    @inlinable public static var realtimeNanoseconds: UInt64 { ev_realtime_ns() }
}
