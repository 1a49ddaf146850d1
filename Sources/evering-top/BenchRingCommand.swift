import ArgumentParser
import EveringBench

/// Streaming and ping-pong of the Swift queues against the C reference ring, two processes.
struct BenchRingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring",
        abstract: "Swift SPSC queues vs a minimal C ring of the same design, across two processes.",
        discussion: """
        Alternates C and Swift runs and reports medians with the spread and the Swift/C ratio. \
        Every entry carries a sequence number and check word that the receiving side verifies; \
        a run with a single bad entry aborts the benchmark. Build with -c release for numbers.
        """
    )

    static let repetitionsRange: ClosedRange<UInt64> = 1 ... 1000
    static let countRange: ClosedRange<UInt64> = 1 ... 1_000_000_000_000
    static let capacityRange: ClosedRange<UInt64> = 2 ... (1 << 24)

    @Option(help: "Runs of each measurement per implementation (default 15; 1 to 1000; many short runs: the machine is noisy).",
            transform: FlagValue.integer(repetitionsRange))
    var repetitions = 15
    @Option(help: "Entries per streaming run (default 4000000; 1 to 10^12).", transform: FlagValue.integer(countRange))
    var streamCount: UInt64 = 4_000_000
    @Option(help: "Counted round trips per ping-pong run (default 200000; 1 to 10^12).", transform: FlagValue.integer(countRange))
    var pingPongCount: UInt64 = 200_000
    @Option(help: "Queue capacity in entries (default 4096; a power of two from 2 to 16777216).",
            transform: FlagValue.integer(capacityRange, powerOfTwo: true))
    var capacity: UInt32 = 4096
    @Option(help: "Only these measurements (\(RingScenario.allCases.map(\.rawValue).joined(separator: ", "))).")
    var scenario: [String] = []
    @Flag(help: "A short run (2 repetitions, fewer entries) to check the machinery.") var quick = false
    @Option(help: "Also write the report (markdown) to this file.") var output: String?

    func validate() throws {
        for name in scenario where RingScenario(rawValue: name) == nil {
            throw ValidationError("unknown scenario '\(name)'; choose from \(RingScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var config = RingBenchConfiguration(executable: try PeerProcess.currentExecutable(), peerCommand: ["bench", "peer"])
        config.repetitions = quick ? 2 : repetitions
        config.streamCount = quick ? 2_000_000 : streamCount
        config.pingPongCount = quick ? 50_000 : pingPongCount
        config.capacity = capacity
        if !scenario.isEmpty { config.scenarios = scenario.compactMap(RingScenario.init(rawValue:)) }
        let machine = MachineDescription.current()
        let benchmark = RingBenchmark(configuration: config)
        let runs = try benchmark.runAll { run in
            var line = "  \(run.scenario.rawValue) \(run.implementation.rawValue): "
            if let rtt = run.roundTrip {
                line += "p50 \(Int(rtt.median)) ns, p99 \(Int(rtt.p99)) ns"
            } else {
                line += "\(Int(run.perSecond / 1e3) / 1000) M entries/s"
            }
            printErr(line)
        }
        let summary = RingBenchSummary(runs: runs)
        let command = (["evering-top"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let document = RingBenchDocument(command: command, machine: machine, configuration: config, runs: runs,
                                         summary: summary).markdown()
        print(document)
        if let output { try writeFile(output, document) }
    }
}
