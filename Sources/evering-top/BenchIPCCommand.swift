import ArgumentParser
import EveringBench
import EveringLoad

/// `evering-top bench [ipc]`: ring vs Unix socket vs pipe, streaming, the C reference and
/// the inspector's overhead, in one run (issue 6).
struct BenchIPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipc",
        abstract: "Ring vs Unix socket vs pipe: ping-pong by payload and concurrency, streaming, inspector overhead.",
        discussion: """
        Uses the load generator's engine for every transport and verifies every op it times. \
        Prints a markdown report; --json writes the figures for scripts/plot_bench.py. \
        The default run takes a few minutes; --quick one repetition of short runs. Build with -c release.
        """
    )

    @Flag(help: "One repetition of short runs (about half a minute).") var quick = false
    static let concurrencyRange: ClosedRange<UInt64> = 1 ... 4096
    static let durationRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(3600)

    @Option(help: "Repetitions of each figure (default 3; --quick 1; 1 to 1000).",
            transform: FlagValue.integer(BenchRingCommand.repetitionsRange))
    var repetitions: Int?
    @Option(help: "Time per ping-pong run (default 250ms; 1ms to 1h; a bare number is seconds).", transform: FlagValue.duration(durationRange))
    var duration: Duration?
    @Option(parsing: .upToNextOption, help: "Payload sizes (default 4 64 512 4096 65536 262144 1048576; each 4 to 1MiB; K, KiB, M, MiB).",
            transform: FlagValue.size(LoadConfiguration.payloadRange))
    var payload: [Int] = []
    @Option(parsing: .upToNextOption, help: "Concurrency levels (default 1 200; each 1 to 4096).", transform: FlagValue.integer(concurrencyRange))
    var concurrency: [Int] = []
    @Option(parsing: .upToNextOption, help: "Transports (default ring uds pipe).") var transport: [String] = []
    @Option(parsing: .upToNextOption, help: "Run only these parts (pingpong, stream, inspector, rates; default all).")
    var part: [String] = []
    @Option(help: "Write the figures as JSON to this file.") var json: String?
    @Option(help: "Also write the markdown report to this file.") var output: String?

    func validate() throws {
        for name in part where IPCBenchConfiguration.Part(rawValue: name) == nil {
            throw ValidationError("unknown part '\(name)'; choose from \(IPCBenchConfiguration.Part.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for name in transport where LoadConfiguration.Transport(rawValue: name) == nil {
            throw ValidationError("unknown transport '\(name)'; choose from ring, uds, pipe")
        }
    }

    func run() throws {
        let executable = try PeerProcess.currentExecutable()
        var config = quick ? IPCBenchConfiguration.quick(executable: executable) : IPCBenchConfiguration(executable: executable)
        if let repetitions { config.repetitions = repetitions }
        if let duration { config.pingPongDuration = duration }
        if !payload.isEmpty { config.payloads = payload }
        if !concurrency.isEmpty { config.concurrencies = concurrency }
        if !part.isEmpty { config.parts = part.compactMap(IPCBenchConfiguration.Part.init(rawValue:)) }
        if !transport.isEmpty { config.transports = transport.compactMap(LoadConfiguration.Transport.init(rawValue:)) }
        let command = (["evering-top"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let report = try IPCBenchmark(configuration: config).run(command: command) { printErr("  " + $0) }
        let markdown = report.markdown()
        print(markdown)
        if let output { try writeFile(output, markdown) }
        if let json { try writeFile(json, report.json()) }
    }
}

