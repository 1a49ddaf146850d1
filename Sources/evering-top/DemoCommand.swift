import ArgumentParser
import Evering
import EveringLoad
import EveringTerminal
#if canImport(Glibc)
import Glibc
#endif

/// `evering-top demo`: the one-command tour. Starts a load run on a ring (requester and
/// responder as child processes), attaches the dashboard to it, and on quit stops the
/// load and removes the ring. `--fault` passes faults through so a newcomer can watch a
/// ring get stuck.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a load on a demo ring and watch it in the dashboard.",
        discussion: """
            Faults: \(Fault.kinds.joined(separator: ", ")), e.g. --fault stall-responder@5s.
            The load's own summary is printed after the dashboard quits.
            """
    )

    @Option(help: "Ring name for the demo (replaced if it exists).") var name: String = "evering-demo"
    @Option(help: "Inject a fault into the load (repeatable): KIND@AFTER or KIND=VALUE.") var fault: [String] = []
    @Option(help: "Ops per second the load aims for, or 'max'.") var rate: String = "20000"
    @Option(help: "Ops in flight.") var concurrency: Int = 96
    @Option(help: "Entries per queue (power of two).") var capacity: UInt32 = 64
    @OptionGroup var options: DashboardOptions

    func makeLoadConfiguration() throws -> LoadConfiguration {
        var config = LoadConfiguration()
        config.name = name
        config.mode = .pingpong
        config.concurrency = concurrency
        config.capacity = capacity
        if rate != "max" {
            guard let value = Double(rate), value > 0, value.isFinite else {
                throw ValidationError("--rate '\(rate)' must be a positive number of ops/s or 'max'")
            }
            config.rate = value
        }
        // Long enough for any demo; quitting the dashboard stops it much earlier.
        config.limit = .duration(.seconds(3600))
        config.faults = try fault.map { text in
            do throws(LoadError) { return try Fault.parse(text) } catch { throw ValidationError(error.description) }
        }
        do throws(LoadError) { try config.validate() } catch { throw ValidationError(error.description) }
        return config
    }

    func run() throws {
        let ringName = try RingName(name)
        let config = try makeLoadConfiguration()
        let logPath = "/tmp/evering-demo-\(getpid()).log"
        let load = try BackgroundProcess(executable: ChildProcess.currentExecutable,
                                         arguments: LoadRun.commandLine(config, role: .both, replace: true),
                                         outputPath: logPath)
        defer { unlink(logPath) }
        let exit: DashboardLoop.Exit
        do {
            // No reader yet: the dashboard shows "waiting for ring" until the load has created it.
            exit = try AttachCommand.runDashboard(ringName, reader: nil, options: options)
        } catch {
            Self.stop(load, ring: ringName)
            throw error
        }
        Self.stop(load, ring: ringName)
        if let log = try? String(contentsOfFile: logPath, encoding: .utf8), !log.isEmpty {
            print("load run (\(LoadRun.commandLine(config, role: .both, replace: true).joined(separator: " "))):")
            print(log, terminator: log.hasSuffix("\n") ? "" : "\n")
        }
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }

    /// SIGINT makes the load drain, print its summary, stop its responder and unlink the
    /// ring; if it has not finished within 5 s (a hung responder, say), it is killed and
    /// the ring removed here.
    static func stop(_ load: BackgroundProcess, ring: RingName) {
        load.signal(SIGINT)
        if !load.waitForExit(timeoutNanoseconds: 5_000_000_000) {
            load.signal(SIGKILL)
            _ = load.waitForExit(timeoutNanoseconds: 1_000_000_000)
        }
        try? unlinkRing(ring)
    }
}

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
