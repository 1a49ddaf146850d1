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
        /// No process has this pid.
        case dead
        /// The pid exists but belongs to a process started later: the original is dead.
        case pidReused = "pid-reused"
        /// Nothing recorded to check (the side never attached). Only the inspector says this.
        case unknown

        /// Dead, a zombie, or pid reused: the recorded process will never run again.
        public var isGone: Bool { self == .dead || self == .zombie || self == .pidReused }
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

/// The two fields of /proc/PID/stat the ring needs: the state letter (field 3) and the
/// start time (field 22). The only place /proc/PID/stat is parsed.
public struct ProcessStat: Equatable, Sendable {
    /// R, S, D, Z, T, t, X, I, ... as the kernel prints it.
    public var state: Character
    /// Clock ticks after boot when the process started.
    public var startTime: UInt64

    public init(state: Character, startTime: UInt64) {
        self.state = state
        self.startTime = startTime
    }

    /// What the state letter means for a process that is still the recorded one.
    public var liveness: ProcessIdentity.Liveness {
        switch state {
        case "Z", "X", "x": .zombie
        case "T", "t": .stopped
        case "D": .blockedInKernel
        default: .alive
        }
    }

    /// Reads /proc/PID/stat; nil when the process does not exist.
    public static func read(_ pid: Int32) -> ProcessStat? {
        guard pid > 0, let text = SystemCalls.readSmallFile("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// Parses a /proc/PID/stat line. The command name (field 2) may contain spaces and
    /// parentheses, so fields are counted from the *last* ')'.
    public static func parse(_ statLine: String) -> ProcessStat? {
        // Over the UTF-8 bytes, not Characters: the recorder parses two of these per sample
        // at 100 Hz, and String splitting was a third of its CPU.
        var line = statLine
        return line.withUTF8 { bytes -> ProcessStat? in
            let space = UInt8(ascii: " ")
            guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var i = close + 1
            var field = 0  // field 3 (state) is 0 here, so field 22 (start time) is 19
            var state: UInt8 = 0
            while i < bytes.count {
                while i < bytes.count && bytes[i] == space { i += 1 }
                guard i < bytes.count else { break }
                let begin = i
                while i < bytes.count && bytes[i] != space { i += 1 }
                if field == 0 {
                    guard i - begin == 1 else { return nil }
                    state = bytes[begin]
                } else if field == 19 {
                    var start: UInt64 = 0
                    for k in begin..<i {
                        let digit = bytes[k] &- UInt8(ascii: "0")
                        guard digit < 10 else { return nil }
                        let (times10, o1) = start.multipliedReportingOverflow(by: 10)
                        let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                        guard !o1, !o2 else { return nil }
                        start = sum
                    }
                    guard state < 0x80 else { return nil }
                    return ProcessStat(state: Character(Unicode.Scalar(state)), startTime: start)
                }
                field += 1
            }
            return nil
        }
    }
}

/// Monotonic and wall clocks in nanoseconds, the units the ABI stores.
public enum Clock {
    @inlinable public static var monotonicNanoseconds: UInt64 { ev_monotonic_ns() }
    @inlinable public static var realtimeNanoseconds: UInt64 { ev_realtime_ns() }
}
