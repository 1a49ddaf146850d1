#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// The other end of a cross-process benchmark: this same executable, re-executed with
/// arguments naming its role (posix_spawn, never fork, so no Swift runtime state is
/// duplicated into the child).
public final class PeerProcess: @unchecked Sendable {
    // @unchecked: a pid and a flag, used by the thread that spawned it.
    public let pid: pid_t
    /// The exit code (or 128+signal) once reaped.
    public private(set) var exitCode: Int32?
    /// When it was started and reaped (CLOCK_MONOTONIC ns), and the CPU time it used
    /// (user + system ns, from wait4): together they say whether it had a core throughout.
    public let startedAt: UInt64
    public private(set) var endedAt: UInt64 = 0
    public private(set) var cpuNanoseconds: UInt64 = 0
    private var reaped: Bool { exitCode != nil }

    /// Path of the running executable, so the peer is exactly the same build.
    public static func currentExecutable() throws(BenchError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw .system("readlink(/proc/self/exe)", errno) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts `executable` with `arguments` (argv[1...]); stderr is inherited, stdout too
    /// unless `stdoutPath` names a file to write it to.
    public init(executable: String, arguments: [String], stdoutPath: String? = nil) throws(BenchError) {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdoutPath {
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        // Default dispositions for the stop signals: a benchmark started from a background
        // shell job inherits SIGINT ignored, and its peers must still stop when told.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw .system("posix_spawn(\(executable))", rc) }
        pid = child
        startedAt = ev_monotonic_ns()
    }

    deinit {
        if !reaped { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
    }

    /// Nil while running; the exit status (or 128+signal) once it has exited.
    public func poll() -> Int32? {
        if let exitCode { return exitCode }
        var status: Int32 = 0
        var usage = rusage()
        let rc = wait4(pid, &status, WNOHANG, &usage)
        guard rc == pid else { return nil }
        endedAt = ev_monotonic_ns()
        cpuNanoseconds = CPUTime.nanoseconds(usage)
        exitCode = Self.decode(status: status)
        return exitCode
    }

    /// Waits for the exit, killing the peer if it takes longer than `timeoutNanoseconds`.
    public func wait(timeoutNanoseconds: UInt64) throws(BenchError) -> Int32 {
        let deadline = ev_monotonic_ns() &+ timeoutNanoseconds
        while true {
            if let code = poll() { return code }
            if ev_monotonic_ns() > deadline {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                exitCode = Self.decode(status: status)
                throw .timedOut("peer \(pid) did not exit in time")
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 200_000)
            nanosleep(&pause, nil)
        }
    }

    /// Waits until `isReady()` holds, failing if the peer exits or the deadline passes.
    public func waitUntil(timeoutNanoseconds: UInt64, what: String, _ isReady: () -> Bool) throws(BenchError) {
        let deadline = ev_monotonic_ns() &+ timeoutNanoseconds
        while !isReady() {
            if let code = poll() { throw .peer("exited with status \(code) before \(what)") }
            if ev_monotonic_ns() > deadline { throw .timedOut("peer \(pid) never reached '\(what)'") }
            sched_yield()
        }
    }

    /// Asks the peer to stop (SIGTERM), then waits for it.
    public func terminateAndWait(timeoutNanoseconds: UInt64) throws(BenchError) -> Int32 {
        if poll() == nil { kill(pid, SIGTERM) }
        return try wait(timeoutNanoseconds: timeoutNanoseconds)
    }

    /// Fraction of its lifetime the peer spent on a CPU (1 for a spinning peer that was
    /// never descheduled); nil until reaped.
    public var onCPUFraction: Double? {
        guard exitCode != nil, endedAt > startedAt else { return nil }
        return Double(cpuNanoseconds) / Double(endedAt - startedAt)
    }

    static func decode(status: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
