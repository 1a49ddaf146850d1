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
    @Option(help: "Inject a fault into the load (repeatable): KIND@AFTER or KIND=VALUE.",
            transform: LoadOptions.parseFault) var fault: [Fault] = []
    @Option(help: "Ops per second the load aims for (default 20000; 0.001 to 1000000000), or 'max'.",
            transform: FlagValue.rate(LoadConfiguration.rateRange))
    var rate: Rate = Rate(perSecond: 20_000)
    @Option(help: "Ops in flight (default 96; 1 to 1048576).", transform: FlagValue.integer(LoadConfiguration.concurrencyRange))
    var concurrency: Int = 96
    @Option(help: "Entries per queue (default 64; a power of two from 2 to 16777216).",
            transform: FlagValue.integer(LoadConfiguration.capacityRange, powerOfTwo: true))
    var capacity: UInt32 = 64
    @OptionGroup var options: DashboardOptions

    func makeLoadConfiguration() throws(LoadError) -> LoadConfiguration {
        var config = LoadConfiguration()
        config.name = name
        config.mode = .pingpong
        config.concurrency = concurrency
        config.capacity = capacity
        config.rate = rate.perSecond
        // Long enough for any demo; quitting the dashboard stops it much earlier.
        config.limit = .duration(.seconds(3600))
        config.faults = fault
        try config.validate()
        return config
    }

    func validate() throws {
        do { _ = try RingName(name) } catch { throw ValidationError("--name: \(error)") }
        do { _ = try makeLoadConfiguration() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let ringName = try RingName(name)
        let config = try makeLoadConfiguration()
        try options.requireTerminal()  // before the load starts: no ring made for a screen that cannot be drawn
        let logPath = try Self.makeLogFile()
        defer { unlink(logPath) }
        // A dashboard whose terminal vanishes may die writing to it; never die of that.
        signal(SIGPIPE, SIG_IGN)
        // --stop-with-parent: if this process dies anyway (SIGKILL), the load stops too.
        let load = try ChildProcess(executable: ChildProcess.currentExecutable,
                                    arguments: Self.loadArguments(config),
                                    output: .file(logPath))
        let exit: DashboardLoop.Exit
        do {
            // No reader yet: the dashboard shows "waiting for ring" until the load has created
            // it (the load is the ring's creator: an older ring of the same name is not it).
            exit = try AttachCommand.runDashboard(ringName, reader: nil, expectedCreator: load.pid, options: options)
        } catch {
            Self.stop(load, ring: ringName)
            throw error
        }
        Self.stop(load, ring: ringName)
        if let log = try? String(contentsOfFile: logPath, encoding: .utf8), !log.isEmpty {
            print("load run (\(Self.loadArguments(config).joined(separator: " "))):")
            print(log, terminator: log.hasSuffix("\n") ? "" : "\n")
        }
        if case let .signal(signal) = exit { throw ExitCode(128 + signal) }
    }

    /// The demo's load: replaces a ring of the same name; stops if the demo dies
    /// (--stop-with-parent); and keeps the evidence of a fault (--hold-on-failure: the ring
    /// stays, the requester stays attached, a hung responder stays hung) until the user quits.
    static func loadArguments(_ config: LoadConfiguration) -> [String] {
        LoadRun.commandLine(config, role: .both, replace: true, holdOnFailure: true) + ["--stop-with-parent"]
    }

    /// A new, empty, private log file for the load's output: mkstemp, so a predictable name
    /// in /tmp cannot be pre-created (or symlinked) by someone else.
    static func makeLogFile() throws -> String {
        var template = Array("/tmp/evering-demo-XXXXXX.log".utf8CString)
        let fd = mkstemps(&template, 4)
        guard fd >= 0 else {
            throw CommandFailure.failed("cannot create the demo's log file in /tmp: \(String(cString: strerror(errno)))")
        }
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Called when the user quits. SIGINT makes the load drain, print its summary, stop
    /// its responder and unlink the ring; if it has not finished within 5 s, it is killed
    /// and the ring removed here.
    static func stop(_ load: ChildProcess, ring: RingName) {
        load.signal(SIGINT)
        load.waitOrKill(timeout: .seconds(5))
        try? unlinkRing(ring)
    }
}

