#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// A child process started with posix_spawn (never fork: the parent has threads).
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is only touched by the thread that owns the child.
    public let pid: pid_t
    /// The wait status once reaped.
    public private(set) var status: Int32? = nil
    /// True once `waitOrKill` had to SIGKILL it.
    public private(set) var wasKilled = false

    /// The running executable, for re-executing ourselves as the responder.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Where the child's standard output goes.
    public enum Output: Sendable {
        /// Ours (stdout and stderr inherited).
        case inherit
        /// stdout to /dev/null; stderr inherited (so its errors still reach the user).
        case discardStandardOutput
        /// stdout and stderr to this file (created 0600), stdin from /dev/null: for a child
        /// that must not scribble over a full-screen terminal.
        case file(String)
    }

    /// Starts `executable` with `arguments` in its own process group (so a terminal's
    /// Ctrl-C reaches only the parent, which then shuts the child down in order).
    public init(executable: String, arguments: [String], output: Output) throws(LoadError) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch output {
        case .inherit:
            break
        case .discardStandardOutput:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw .system(call: "posix_spawn(\(executable))", errno: rc) }
        pid = child
    }

    /// Sends `signal` unless the child has already been reaped (its pid may be reused).
    public func signal(_ signal: Int32) {
        if poll() == nil { kill(pid, signal) }
    }

    /// Reaps the child if it has exited; returns its wait status then.
    @discardableResult
    public func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status
    }

    /// Waits up to `timeout` for the child to exit (reaping it); its status, or nil if it is
    /// still running then.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ev_monotonic_ns() &+ UInt64(timeout.nanoseconds)
        while poll() == nil && ev_monotonic_ns() < deadline { FileDescriptorIO.sleep(milliseconds: 2) }
        return status
    }

    /// Waits up to `timeout` for the child to exit; SIGKILLs it if it does not.
    @discardableResult
    public func waitOrKill(timeout: Duration) -> Int32 {
        let deadline = ev_monotonic_ns() &+ UInt64(timeout.nanoseconds)
        while poll() == nil && ev_monotonic_ns() < deadline { FileDescriptorIO.sleep(milliseconds: 5) }
        if let status { return status }
        kill(pid, SIGKILL)
        wasKilled = true
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        status = raw
        return raw
    }

    /// "exited with status 3" / "died: killed by signal 9 (SIGKILL)".
    public static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : signal == SIGTERM ? " (SIGTERM)" : ""
        return "died: killed by signal \(signal)\(name)"
    }
}
