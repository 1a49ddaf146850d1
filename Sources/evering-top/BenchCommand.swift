import ArgumentParser
import EveringBench
#if canImport(Glibc)
import Glibc
#endif

/// `evering-top bench ...`: reproducible benchmarks of the ring against a C reference
/// and other transports.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the ring (against a C reference ring and other IPC).",
        subcommands: [BenchIPCCommand.self, BenchRingCommand.self, BenchFleetCommand.self, BenchPeerCommand.self],
        defaultSubcommand: BenchIPCCommand.self
    )
}

/// The other process of a benchmark (hidden): started by the benchmark itself.
struct BenchPeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "Run the peer side of a benchmark (started by `bench`).", shouldDisplay: false)

    @Option var role: String
    @Option var shm: String
    @Option var ring: String?
    @Option(transform: FlagValue.integer(BenchRingCommand.countRange)) var count: UInt64

    func validate() throws {
        guard RingPeerRole(rawValue: role) != nil else { throw ValidationError("unknown peer role \(role)") }
    }

    func run() throws {
        guard let role = RingPeerRole(rawValue: role) else { throw ValidationError("unknown peer role \(role)") }
        let status = try RingBenchmark.runPeer(role: role, shm: shm, ring: ring, count: count)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Progress goes to stderr (fd 2) so stdout carries only the report.
func printErr(_ line: String) { writeError(line) }

/// Writes a report file; a short write (disk full, EIO) is an error, not a truncated report.
func writeFile(_ path: String, _ text: String) throws {
    func failure() -> CommandFailure {
        .failed("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    guard let file = fopen(path, "w") else { throw failure() }
    let written = fputs(text.hasSuffix("\n") ? text : text + "\n", file)
    guard written >= 0 else { fclose(file); throw failure() }
    // fclose flushes the buffer: that is where a full disk shows up.
    guard fclose(file) == 0 else { throw failure() }
}

