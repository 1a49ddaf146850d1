import Evering
#if canImport(Glibc)
import Glibc
#endif

/// A child started with posix_spawn (never fork: we have threads) in its own process
/// group, with stdout and stderr going to a file so nothing scribbles over the dashboard.
final class BackgroundProcess {
    let pid: pid_t
    private var exited = false

    init(executable: String, arguments: [String], outputPath: String) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group: the terminal's Ctrl-C goes to the dashboard, which then
        // stops the load in order.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw RingError.system(call: "posix_spawn(\(executable))", errno: rc) }
        pid = child
    }

    func signal(_ signal: Int32) {
        if !exited { kill(pid, signal) }
    }

    /// Polls for the exit (reaping it) until the deadline; true once exited.
    func waitForExit(timeoutNanoseconds: UInt64) -> Bool {
        let deadline = Clock.monotonicNanoseconds &+ timeoutNanoseconds
        while !exited {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exited = true; break }
            if Clock.monotonicNanoseconds >= deadline { break }
            usleep(10_000)
        }
        return exited
    }
}
